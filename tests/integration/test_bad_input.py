"""Bad requests get a clear 4xx in the one error form, and store nothing."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.api import create_app
from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.settings import Settings
from tests.support.quizzes import ADMIN_AUTH, quiz_body
from tests.support.stack import with_lifespan_state
from tests.support.steps import KEYS, count, create_quiz, join

pytestmark = pytest.mark.usefixtures("redis")


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code


@pytest.fixture
async def quiz(api: httpx.AsyncClient) -> dict[str, Any]:
    return await create_quiz(api)


@pytest.fixture
async def player(api: httpx.AsyncClient, quiz: dict[str, Any]) -> dict[str, Any]:
    return await join(api, quiz["id"], "Dora")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"", 400, "invalid_json"),
        (b'{"display_name": 5}', 422, "invalid_body"),
        (b'{"display_name": "x", "admin": true}', 422, "invalid_body"),
        (b"[]", 422, "invalid_body"),
        (b'{"display_name": ""}', 422, "invalid_body"),
        (b'{"display_name": "   "}', 422, "invalid_display_name"),
        (b'{"display_name": "bell\\u0007"}', 422, "invalid_display_name"),
        (b'{"display_name": "' + b"x" * 65 + b'"}', 422, "invalid_body"),
        (b"[" * 100_000, 413, "body_too_large"),
        (b'{"display_name": ' + b"[" * 5000 + b"]" * 5000 + b"}", 422, "invalid_body"),
    ],
)
async def test_bad_join_bodies(
    api: httpx.AsyncClient, quiz: dict[str, Any], body: bytes, status: int, code: str
) -> None:
    response = await api.post(f"/quizzes/{quiz['id']}/join", content=body)
    assert_error(response, status, code)


async def test_a_refused_join_stores_nothing(
    api: httpx.AsyncClient, quiz: dict[str, Any], redis: aioredis.Redis
) -> None:
    await api.post(f"/quizzes/{quiz['id']}/join", content=b'{"display_name": 1}')
    stream = f"{KEYS.tag(quiz['partition'])}joins"
    assert await redis.exists(stream) == 0


@pytest.mark.parametrize("quiz_id", ["0", "-1", "abc", "99999", str(2**63), "9" * 40, "1e3", "%20"])
async def test_ids_out_of_range_are_404(api: httpx.AsyncClient, quiz_id: str) -> None:
    response = await api.post(f"/quizzes/{quiz_id}/join", json={"display_name": "x"})
    assert_error(response, 404)
    assert_error(await api.get(f"/quizzes/{quiz_id}"), 404)
    assert_error(await api.get(f"/quizzes/{quiz_id}/leaderboard"), 404)


async def test_answer_auth(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any]
) -> None:
    url = f"/quizzes/{quiz['id']}/answers"
    body = {"question_id": quiz["questions"][0]["id"], "answer": 0}
    assert_error(await api.post(url, json=body), 401, "unauthorized")
    forged = player["token"][:-4] + "AAAA"
    headers = {"Authorization": f"Bearer {forged}"}
    assert_error(await api.post(url, json=body, headers=headers), 401, "invalid_token")
    headers = {"Authorization": "Bearer not.a.token"}
    assert_error(await api.post(url, json=body, headers=headers), 401, "invalid_token")
    other = await create_quiz(api)
    stranger = await join(api, other["id"], "Stranger")
    headers = {"Authorization": f"Bearer {stranger['token']}"}
    assert_error(await api.post(url, json=body, headers=headers), 403, "wrong_quiz")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question_id": 1, "answer": 0, "extra": 1}, 422, "invalid_body"),
        ({"question_id": "1", "answer": 0}, 422, "invalid_body"),
        ({"question_id": 2**64, "answer": 0}, 422, "invalid_body"),
        ({"question_id": 987654321, "answer": 0}, 404, "question_not_found"),
        ({"answer": 0}, 422, "invalid_body"),
        ({"question_id": 1, "answer": "nul\x00"}, 422, "invalid_body"),
        ({"question_id": 1, "answer": "new\nline"}, 422, "invalid_body"),
    ],
)
async def test_bad_answer_bodies(
    api: httpx.AsyncClient,
    quiz: dict[str, Any],
    player: dict[str, Any],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    headers = {"Authorization": f"Bearer {player['token']}"}
    response = await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=headers)
    assert_error(response, status, code)


async def test_answer_of_the_wrong_shape_and_another_quizs_question(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], redis: aioredis.Redis
) -> None:
    headers = {"Authorization": f"Bearer {player['token']}"}
    url = f"/quizzes/{quiz['id']}/answers"
    choice, text = quiz["questions"][0], quiz["questions"][3]
    for body in ({"question_id": choice["id"], "answer": "postpone"},
                 {"question_id": choice["id"], "answer": 9},
                 {"question_id": text["id"], "answer": 3}):  # fmt: skip
        assert_error(await api.post(url, json=body, headers=headers), 422, "invalid_answer")
    other = await create_quiz(api)
    body = {"question_id": other["questions"][0]["id"], "answer": 0}
    assert_error(await api.post(url, json=body, headers=headers), 404, "question_not_found")
    assert await redis.exists(f"{KEYS.tag(quiz['partition'])}answers") == 0


async def test_admin_routes_need_the_admin_token(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any]
) -> None:
    assert_error(await api.get("/quizzes"), 401)
    assert_error(await api.get("/quizzes", headers={"Authorization": "Bearer nope"}), 403)
    headers = {"Authorization": f"Bearer {player['token']}"}
    assert_error(await api.post("/quizzes", json={}, headers=headers), 403)


async def test_invalid_quizzes_are_422(api: httpx.AsyncClient) -> None:
    response = await api.post("/quizzes", json={"title": "t"}, headers=ADMIN_AUTH)
    assert_error(response, 422, "invalid_body")
    body = quiz_body()
    body["ends_at"] = body["available_at"]
    assert_error(await api.post("/quizzes", json=body, headers=ADMIN_AUTH), 422)


@pytest.mark.parametrize("where", ["title", "prompt", "choice", "accepted"])
async def test_text_postgresql_cannot_store_is_refused_before_anything_is_stored(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], where: str
) -> None:
    body = quiz_body()
    choice = next(q for q in body["questions"] if q["kind"] == "choice")
    text = next(q for q in body["questions"] if q["kind"] == "text")
    if where == "title":
        body["title"] = "nul\x00"
    elif where == "prompt":
        choice["prompt"] = "nul\x00"
    elif where == "choice":
        choice["choices"][0] = "nul\x00"
    else:
        text["accepted"].append("nul\x00")
    assert_error(await api.post("/quizzes", json=body, headers=ADMIN_AUTH), 422, "invalid_body")
    assert await count(db, "SELECT count(*) FROM quizzes") == 0


async def test_unknown_routes_and_methods_use_the_error_form(api: httpx.AsyncClient) -> None:
    assert_error(await api.get("/nowhere"), 404, "not_found")
    assert_error(await api.delete("/quizzes"), 405, "method_not_allowed")


async def test_leaderboard_query_limits(api: httpx.AsyncClient, quiz: dict[str, Any]) -> None:
    url = f"/quizzes/{quiz['id']}/leaderboard"
    for query in ("limit=0", "limit=101", "limit=x", "offset=-1", "limit=" + "9" * 30):
        assert_error(await api.get(f"{url}?{query}"), 422, "invalid_query")
    assert (await api.get(f"{url}?limit=100&offset=5")).status_code == 200


async def test_me_needs_a_token(api: httpx.AsyncClient, quiz: dict[str, Any]) -> None:
    assert_error(await api.get(f"/quizzes/{quiz['id']}/leaderboard/me"), 401)


async def test_openapi_describes_every_route(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/quizzes", "/quizzes/{quiz_id}", "/quizzes/{quiz_id}/join",
        "/quizzes/{quiz_id}/answers", "/quizzes/{quiz_id}/leaderboard",
        "/quizzes/{quiz_id}/leaderboard/me", "/quizzes/{quiz_id}/next",
        "/quizzes/{quiz_id}/reveal", "/quizzes/{quiz_id}/finish", "/quizzes/{quiz_id}/state",
        "/quizzes/{quiz_id}/results", "/media", "/quizzes/{quiz_id}/media",
        "/quizzes/import", "/quizzes/{quiz_id}/export", "/quizzes/{quiz_id}/players",
        "/quizzes/{quiz_id}/players/{player_id}/kick", "/quizzes/{quiz_id}/players/{player_id}/ban",
        "/quizzes/{quiz_id}/lock", "/quizzes/{quiz_id}/unlock",
        "/quizzes/{quiz_id}/players/{player_id}/name", "/quizzes/{quiz_id}/teams",
        "/healthz", "/readyz",
    }  # fmt: skip
    assert {"QuizIn", "AnswerIn", "JoinIn", "Snapshot", "ErrorBody"} <= set(
        spec["components"]["schemas"]
    )


@pytest.mark.parametrize("move", ["next", "reveal", "finish"])
async def test_host_moves_need_this_quiz_s_host_token(
    api: httpx.AsyncClient, quiz: dict[str, Any], move: str
) -> None:
    path = f"/quizzes/{quiz['id']}/{move}"
    assert_error(await api.post(path), 401)
    player = await join(api, quiz["id"], "Mallory")
    as_player = {"Authorization": f"Bearer {player['token']}"}
    assert_error(await api.post(path, headers=as_player), 401, "invalid_token")
    other = await create_quiz(api)
    as_other_host = {"Authorization": f"Bearer {other['host_token']}"}
    assert_error(await api.post(path, headers=as_other_host), 403, "wrong_quiz")
    as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
    assert_error(await api.post(path, headers=as_host), 409, "not_live")
    assert_error(await api.post(path, headers=ADMIN_AUTH), 409, "not_live")
    assert_error(await api.post(f"/quizzes/999999/{move}", headers=ADMIN_AUTH), 404)


async def test_an_open_quiz_s_state_is_its_window(
    api: httpx.AsyncClient, quiz: dict[str, Any]
) -> None:
    state = (await api.get(f"/quizzes/{quiz['id']}/state")).json()
    assert (state["mode"], state["phase"], state["question"]) == ("open", "question", None)


async def test_health(api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    assert (await api.get("/readyz")).json() == {"status": "ready"}


async def test_expired_tokens_and_answers_before_the_quiz_opens(
    api: httpx.AsyncClient, quiz: dict[str, Any], redis: aioredis.Redis
) -> None:
    from quizboard.core.tokens import PlayerClaims, sign

    secret = b"test-secret"
    question = quiz["questions"][0]
    body = {"question_id": question["id"], "answer": 0}
    expired = sign(secret, PlayerClaims(quiz["id"], "a0b1c2d3-0000-4000-8000-000000000000", 1000))
    response = await api.post(f"/quizzes/{quiz['id']}/answers", json=body,
                              headers={"Authorization": f"Bearer {expired}"})  # fmt: skip
    assert_error(response, 401, "token_expired")

    later = await create_quiz(api, opens_in=3600)
    early = sign(secret, PlayerClaims(later["id"], "a0b1c2d3-0000-4000-8000-000000000001",
                                      2**40))  # fmt: skip
    response = await api.post(
        f"/quizzes/{later['id']}/answers",
        json={"question_id": later["questions"][0]["id"], "answer": 0},
        headers={"Authorization": f"Bearer {early}"},
    )
    assert_error(response, 403, "quiz_not_open")
    for partition in (quiz["partition"], later["partition"]):
        assert await redis.exists(f"{KEYS.tag(partition)}answers") == 0


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/quizzes/{id}/join", "/quizzes/{quiz_id}/join"),
        ("/quizzes/{id}/answers", "/quizzes/{quiz_id}/answers"),
        ("/quizzes", "/quizzes"),
    ],
)
async def test_a_client_that_hangs_up_mid_body_is_a_499_not_a_500(
    path: str,
    route: str,
    settings: Settings,
    api: httpx.AsyncClient,
    redis: aioredis.Redis,
    quiz: dict[str, Any],
    player: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A join carries no token (this server takes no app JWT); the others carry theirs.
    token = player["token"] if path.endswith("answers") else settings.admin_token
    auth = [] if path.endswith("join") else [(b"authorization", f"Bearer {token}".encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path.format(id=quiz["id"]),
        "raw_path": path.format(id=quiz["id"]).encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", b"40"),
            *auth,
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("quizboard.test", 80),
    }
    sent: list[dict[str, Any]] = []

    async def hang_up() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = create_app(settings)
    async with app.router.lifespan_context(app) as state:
        asgi = with_lifespan_state(app, state)
        with caplog.at_level(logging.WARNING):
            await asgi(scope, hang_up, send)
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            metrics = (await client.get("/metrics")).text
    assert sent[0]["status"] == 499
    counted = [
        line
        for line in metrics.splitlines()
        if line.startswith("quizboard_http_requests_total") and f'route="{route}"' in line
    ]
    labels = f'method="POST",route="{route}",status="499"'
    assert counted == [f"quizboard_http_requests_total{{{labels}}} 1.0"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    keys = Keys(settings.key_prefix)
    assert await redis.xlen(keys.stream(quiz["partition"], ANSWERS)) == 0
    assert await redis.xlen(keys.stream(quiz["partition"], JOINS)) == 1  # the fixture's player
