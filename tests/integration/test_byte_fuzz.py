"""Bytes no schema-based generator sends, at every route that reads a body.

schemathesis sends bodies that are valid JSON. Here each body route of the
route table gets a valid body broken at the byte level: invalid UTF-8 inside
a string, truncation, stray NUL, control and structural bytes, other encodings
and odd content types. Whatever arrives, the answer is never a 5xx, an error
has the one error form, and nothing is stored but what was accepted.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.api.routes import ROUTES, Endpoint
from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.settings import Settings
from tests.support.quizzes import ADMIN_AUTH, KINDS, quiz_body
from tests.support.steps import count, create_quiz, join

# Rate limits would answer 429 before the body is read: this is about the body.
pytestmark = pytest.mark.parametrize(
    "settings", [{"player_rate": 0, "address_rate": 0}], indirect=True
)

BODY_ROUTES = [e for e in ROUTES if e.body is not None]
BAD_UTF8 = [b"\xff", b"\xc3", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"]
STRAY = [b"\x00", b"\xff", b"\x1b", b"\x7f", b'"', b"{", b"}", b"\\", b",", b"\n"]
CONTENT_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/json; charset=utf-16",
    "application/octet-stream",
    "application/json\x00",
]


def mutations(body: bytes, seed: int) -> Iterator[tuple[str, bytes, str | None]]:
    """``(what, bytes, content type)`` for many broken versions of a valid ``body``."""
    rng = random.Random(seed)
    # Invalid UTF-8 inside the first string value, where only a string decoder looks.
    inside = body.index(b'":') + 3
    for bad in BAD_UTF8:
        yield f"utf-8 {bad!r}", body[:inside] + bad + body[inside:], "application/json"
    for cut in sorted({*range(0, len(body), max(1, len(body) // 25)), len(body) - 1}):
        yield f"truncated at {cut}", body[:cut], "application/json"
    for _ in range(60):
        at = rng.randrange(len(body) + 1)
        stray = rng.choice(STRAY)
        yield f"{stray!r} at {at}", body[:at] + stray + body[at:], "application/json"
    for _ in range(20):
        at = rng.randrange(len(body))
        flipped = bytes([body[at] ^ (1 << rng.randrange(8))])
        yield f"bit flip at {at}", body[:at] + flipped + body[at + 1 :], "application/json"
    yield "utf-16", body.decode().encode("utf-16"), "application/json"
    yield "byte order mark", b"\xef\xbb\xbf" + body, "application/json"
    yield "latin-1 text", body.replace(b"}", b',"x":"caf\xe9"}', 1), "application/json"
    for content_type in CONTENT_TYPES:
        yield f"content type {content_type!r}", body, content_type


async def valid_request(
    api: httpx.AsyncClient, endpoint: Endpoint
) -> tuple[str, bytes, dict[str, str]]:
    """A path, a valid body and the headers ``endpoint`` needs."""
    if endpoint.path == "/quizzes":  # a question of every kind
        body = {**quiz_body(), "questions": KINDS}
        return "/quizzes", json.dumps(body).encode(), dict(ADMIN_AUTH)
    quiz = await create_quiz(api)
    path = endpoint.path.replace("{quiz_id}", str(quiz["id"]))
    if endpoint.path.endswith("/join"):
        return path, json.dumps({"display_name": "Fuzz"}).encode(), {}
    player = await join(api, quiz["id"], "Fuzzed")
    typed = next(q for q in quiz["questions"] if q["kind"] == "text")
    # The answer first, so the first string value is one the decoder reads as text.
    body = json.dumps({"answer": typed["accepted"][0], "question_id": typed["id"]})
    return path, body.encode(), {"Authorization": f"Bearer {player['token']}"}


async def stored(redis: aioredis.Redis, db: psycopg.AsyncConnection[Any], keys: Keys) -> int:
    """Everything the routes store: quizzes, and join and answer events."""
    streams = [keys.stream(p, kind) for p in range(2) for kind in (JOINS, ANSWERS)]
    events = sum([int(await redis.xlen(s)) for s in streams])
    return events + await count(db, "SELECT count(*) FROM quizzes")


@pytest.mark.parametrize("endpoint", BODY_ROUTES, ids=lambda e: f"{e.method} {e.path}")
async def test_broken_bytes_get_a_4xx_in_the_error_form_and_store_nothing(
    api: httpx.AsyncClient,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
    endpoint: Endpoint,
) -> None:
    keys = Keys(settings.key_prefix)
    path, body, headers = await valid_request(api, endpoint)
    before = await stored(redis, db, keys)
    accepted = 0
    for what, content, content_type in mutations(body, seed=len(path)):
        sent = dict(headers)
        if content_type is not None:
            sent["Content-Type"] = content_type
        response = await api.request(endpoint.method, path, content=content, headers=sent)
        assert response.status_code < 500, (what, content, response.text)
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error["code"], (what, response.text)
            assert error["message"], (what, response.text)
        else:
            accepted += 1
    # A byte that still leaves valid JSON (a stray newline) may be accepted: what was
    # accepted is stored, once, and nothing else is.
    assert await stored(redis, db, keys) - before == accepted


async def test_invalid_utf8_in_a_string_is_invalid_json(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    response = await api.post(f"/quizzes/{quiz['id']}/join", content=b'{"display_name":"\xff"}')
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_json"
