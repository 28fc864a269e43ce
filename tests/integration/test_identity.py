"""The app's own users: joins with the app's JWT, on a real Valkey and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from quizboard.core.keys import JOINS
from tests.support.identity import HS256, app_jwt
from tests.support.stack import Workers
from tests.support.steps import KEYS, answer, count, create_quiz, eventually

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def pem(key: Any) -> str:
    return str(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    )


async def join_as(
    api: httpx.AsyncClient,
    quiz: dict[str, Any],
    token: str | None,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await api.post(f"/quizzes/{quiz['id']}/join", json=body or {}, headers=headers)


@pytest.mark.parametrize("settings", [HS256], indirect=True)
async def test_an_app_user_joining_again_is_the_same_player_with_one_join(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:  # fmt: skip
    workers.start()
    quiz = await create_quiz(api)
    token = app_jwt("user.42", aud="quizapp", name="Ada")
    first = await join_as(api, quiz, token)
    assert first.status_code == 202, first.text
    player = first.json()
    assert player["player_id"] == "user.42"  # any string, dots included
    await answer(api, quiz, player, 0)
    again = await join_as(api, quiz, token, {"display_name": "Ada again"})
    assert again.status_code == 200
    assert again.json()["player_id"] == "user.42"
    again_auth = {"Authorization": f"Bearer {again.json()['token']}"}

    async def score_kept() -> bool:
        me = await api.get(f"/quizzes/{quiz['id']}/leaderboard/me", headers=again_auth)
        return bool(me.json()["score"] == quiz["questions"][0]["points"])

    await eventually(score_kept, within=5)

    # Two joins of one user at once: one player, one event.
    twice = app_jwt("user-7", aud="quizapp", name="Bo")
    statuses = sorted(r.status_code for r in await asyncio.gather(
        join_as(api, quiz, twice), join_as(api, quiz, twice)))  # fmt: skip
    assert statuses == [200, 202]
    assert await redis.xlen(KEYS.stream(quiz["partition"], JOINS)) == 2

    async def stored() -> bool:
        return await count(db, "SELECT count(*) FROM user_quiz WHERE quiz_id = %s", quiz["id"]) == 2

    await eventually(stored, within=5)
    rows = await (await db.execute(
        "SELECT player_id, display_name FROM user_quiz WHERE quiz_id = %s ORDER BY player_id",
        (quiz["id"],))).fetchall()  # fmt: skip
    assert rows == [("user-7", "Bo"), ("user.42", "Ada")]

    async def answer_stored() -> bool:  # answers-db runs apart from the board's sink
        sql = "SELECT count(*) FROM user_answer WHERE player_id = 'user.42'"
        return await count(db, sql) == 1

    await eventually(answer_stored, within=5)


def _part(value: dict[str, Any] | bytes) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def none_alg(sub: str) -> str:
    return f"{_part({'alg': 'none', 'typ': 'JWT'})}.{_part({'sub': sub, 'exp': 2**31})}."


def hmac_with(secret: bytes, sub: str) -> str:
    """A token signed HS256 with ``secret``, made by hand (PyJWT refuses to make one
    with a public key as the secret, as a forger would)."""
    signed = f"{_part({'alg': 'HS256', 'typ': 'JWT'})}.{_part({'sub': sub, 'exp': 2**31})}"
    digest = hmac.new(secret, signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_part(digest)}"


@pytest.mark.parametrize("settings", [HS256], indirect=True)
@pytest.mark.parametrize(
    ("token", "code"),
    [
        # Made when the test runs, not when it is collected: a CI run takes longer
        # than a token's ten minutes "not before".
        (lambda: app_jwt("u", aud="quizapp", exp=int(time.time()) - 60), "jwt_expired"),
        (lambda: app_jwt("u", aud="quizapp", nbf=int(time.time()) + 600), "jwt_not_yet_valid"),
        (lambda: app_jwt("u", aud="another-app"), "jwt_audience"),
        (lambda: app_jwt("u", key="another-secret-of-at-least-32-bytes", aud="quizapp"),
         "invalid_jwt"),
        (lambda: none_alg("u"), "invalid_jwt"),
        (lambda: app_jwt("u", key=RSA_KEY, algorithm="RS256", aud="quizapp"), "invalid_jwt"),
        (lambda: "not-a-jwt", "invalid_jwt"),
        (lambda: app_jwt("x" * 200, aud="quizapp"), "invalid_jwt"),
    ],
)  # fmt: skip
async def test_a_bad_app_token_is_refused_with_its_reason(
    api: httpx.AsyncClient, redis: aioredis.Redis, token: Callable[[], str], code: str
) -> None:
    quiz = await create_quiz(api)
    response = await join_as(api, quiz, token(), {"display_name": "Mallory"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert await redis.xlen(KEYS.stream(quiz["partition"], JOINS)) == 0


@pytest.mark.parametrize(
    ("settings", "key", "algorithm"),
    [({"jwt_public_key": pem(RSA_KEY)}, RSA_KEY, "RS256"),
     ({"jwt_public_key": pem(EC_KEY)}, EC_KEY, "ES256")],
    indirect=["settings"],
)  # fmt: skip
async def test_an_app_signing_with_its_private_key(
    api: httpx.AsyncClient, key: Any, algorithm: str
) -> None:
    quiz = await create_quiz(api)
    response = await join_as(api, quiz, app_jwt("1001", key=key, algorithm=algorithm, name="Cy"))
    assert response.status_code == 202, response.text
    assert response.json()["player_id"] == "1001"
    # The public key used as an HMAC secret does not pass for the app.
    forged = hmac_with(pem(key).encode(), "1001")
    assert (await join_as(api, quiz, forged)).status_code == 401


@pytest.mark.parametrize("settings", [{**HS256, "anonymous_join": False}], indirect=True)
async def test_anonymous_joins_can_be_turned_off(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    response = await join_as(api, quiz, None, {"display_name": "Anon"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "identity_required"


async def test_without_a_configured_key_an_app_token_is_refused(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    response = await join_as(api, quiz, app_jwt("u"), {"display_name": "U"})
    assert response.json()["error"]["code"] == "jwt_not_accepted"
    anonymous = await join_as(api, quiz, None, {})
    assert anonymous.status_code == 422  # an anonymous join names itself
