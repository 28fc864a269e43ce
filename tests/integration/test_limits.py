"""Rate limits in Redis (429 with Retry-After) and the gateway's limits."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.quizzes import ADMIN
from tests.support.stack import Gateway
from tests.support.steps import KEYS, create_quiz, join

MODES = [
    {"player_rate": 3, "address_rate": 1000},
    {"player_rate": 3, "address_rate": 1000, "coalesce": False},
]


@pytest.mark.parametrize("settings", MODES, ids=["coalesced", "one-by-one"], indirect=True)
async def test_a_player_answering_too_fast_gets_429(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Speedy")
    responses = await asyncio.gather(*[
        api.post(
            f"/quizzes/{quiz['id']}/answers",
            json={"question_id": q["id"], "answer": 0 if q["kind"] == "choice" else "x"},
            headers={"Authorization": f"Bearer {player['token']}"},
        )
        for q in quiz["questions"][:6]
    ])  # fmt: skip
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 202, 202, 429, 429, 429]
    limited = next(r for r in responses if r.status_code == 429)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 1
    assert await redis.xlen(f"{KEYS.tag(quiz['partition'])}answers") == 3  # nothing from the 429s


@pytest.mark.parametrize("settings", [{"address_rate": 5}], indirect=True)
async def test_one_address_joining_too_fast_gets_429(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    responses = await asyncio.gather(*[
        api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": f"N{i}"}) for i in range(8)
    ])  # fmt: skip
    assert sorted(r.status_code for r in responses) == [202] * 5 + [429] * 3
    assert await redis.xlen(f"{KEYS.tag(quiz['partition'])}joins") == 5
    other = await create_quiz(api)  # the limit is per quiz
    assert (await api.post(f"/quizzes/{other['id']}/join",
                           json={"display_name": "Elsewhere"})).status_code == 202  # fmt: skip


async def test_the_gateway_closes_oversized_frames_with_1009_and_floods_with_1008(
    api: httpx.AsyncClient, gateway: Gateway
) -> None:
    quiz = await create_quiz(api)
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        await ws.recv()
        await ws.send("x" * 10_000)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        await ws.recv()
        for _ in range(50):
            await ws.send("hello")
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


@pytest.mark.parametrize("settings", [{"gateway_max_connections": 2}], indirect=True)
async def test_the_gateway_refuses_connections_past_its_cap(
    api: httpx.AsyncClient, gateway: Gateway
) -> None:
    quiz = await create_quiz(api)
    async with (
        connect(gateway.url(quiz["id"], ADMIN)) as first,
        connect(gateway.url(quiz["id"], ADMIN)) as second,
    ):
        await first.recv()
        await second.recv()
        with pytest.raises(InvalidStatus) as refused:
            async with connect(gateway.url(quiz["id"], ADMIN)):
                pass
        assert refused.value.response.status_code == 503
        assert json.loads(refused.value.response.body)["error"]["code"] == "gateway_full"
