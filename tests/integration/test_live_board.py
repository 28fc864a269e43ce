"""The live leaderboard: throttled snapshots over WebSocket."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from quizboard.gateway.rooms import Boards, Rooms
from quizboard.settings import Settings
from tests.support.quizzes import ADMIN, BACKENDS
from tests.support.stack import Gateway, Workers
from tests.support.steps import KEYS, answer, create_quiz, join, kill_pubsub_clients

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


async def receive(ws: ClientConnection, within: float = 2.0, feed: bool = False) -> dict[str, Any]:
    """The next message but a player's own standing (test_standings.py has those) and,
    unless ``feed``, the gateway's word on its own feed (a resubscribe says it)."""
    skipped = {"standing"} if feed else {"standing", "feed"}
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), within))
        if message.get("type") not in skipped:
            return message


async def drain(ws: ClientConnection) -> None:
    """Read until the connection closes."""
    while True:
        await asyncio.wait_for(ws.recv(), 10)


async def test_a_client_gets_a_snapshot_at_once_then_each_change(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    alice = await join(api, quiz["id"], "Alice")
    async with connect(gateway.url(quiz["id"], alice["token"])) as ws:
        first = await receive(ws)
        assert first["type"] == "leaderboard"
        assert first["quiz_id"] == quiz["id"]
        bob = await join(api, quiz["id"], "Bob")
        while (await receive(ws))["total_players"] < 2:
            pass
        accepted_at = time.monotonic()
        accepted = await answer(api, quiz, bob, 3)
        while True:
            snapshot = await receive(ws)
            if snapshot["as_of"] == accepted["event_id"]:
                break
        assert time.monotonic() - accepted_at < 1.0
        assert snapshot["version"] > first["version"]
        assert [(e["rank"], e["display_name"], e["score"]) for e in snapshot["entries"]] == [
            (1, "Bob", 150),
            (2, "Alice", 0),
        ]
        assert snapshot["total_players"] == 2


async def test_a_name_is_shown_even_when_the_answer_reaches_the_board_before_the_join(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway
) -> None:
    # joins-redis is a separate group: without it running, only the API can have
    # recorded the name by the time the answer's points are on the board.
    workers.start("answers-redis", "leaderboard")
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Zoë")
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        await receive(ws)
        accepted = await answer(api, quiz, player, 0)
        while (snapshot := await receive(ws))["as_of"] != accepted["event_id"]:
            pass
    assert [(e["display_name"], e["score"]) for e in snapshot["entries"]] == [("Zoë", 100)]


async def test_a_burst_is_throttled_and_ends_on_the_final_board(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"B{i:02}") for i in range(20)]
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        while (await receive(ws))["total_players"] < 20:
            pass
        await asyncio.sleep(0.6)  # a quiet interval: the next change is a leading edge
        start = time.monotonic()
        results = await asyncio.gather(*[
            answer(api, quiz, p, q, right=(i + q) % 3 != 0)
            for i, p in enumerate(players) for q in range(10)
        ])  # fmt: skip
        burst = time.monotonic() - start
        last_event = max(results, key=lambda r: tuple(map(int, r["event_id"].split("-"))))
        arrivals: list[tuple[float, dict[str, Any]]] = []
        while not arrivals or arrivals[-1][1]["as_of"] != last_event["event_id"]:
            arrivals.append((time.monotonic() - start, await receive(ws, within=3)))
    in_first_interval = [a for a in arrivals if a[0] < 0.5]
    assert len(in_first_interval) <= 2, (burst, [round(t, 3) for t, _ in arrivals])
    versions = [s["version"] for _, s in arrivals]
    assert versions == sorted(set(versions))
    final = arrivals[-1][1]
    board = await redis.zrevrange(f"{KEYS.tag(quiz['partition'])}quiz:{quiz['id']}:lb", 0, 9,
                                  withscores=True)  # fmt: skip
    assert [(e["player_id"], e["score"]) for e in final["entries"]] == [
        (member.decode(), int(score)) for member, score in board
    ]
    expected = sum(r["points"] for r in results)
    assert (
        sum(
            int(s)
            for _, s in await redis.zrange(
                f"{KEYS.tag(quiz['partition'])}quiz:{quiz['id']}:lb", 0, -1, withscores=True
            )
        )
        == expected
    )


async def test_two_leaderboard_workers_keep_to_the_rate(
    api: httpx.AsyncClient, settings: Settings, gateway: Gateway
) -> None:
    two = Workers(settings)
    two.start("joins-redis", "answers-redis")
    for name in ("lb-a", "lb-b"):
        two.add("leaderboard", name)
    try:
        quiz = await create_quiz(api)
        players = [await join(api, quiz["id"], f"T{i}") for i in range(15)]
        async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
            await receive(ws)
            start = time.monotonic()
            received: list[float] = []

            async def listen() -> None:
                while True:
                    await ws.recv()
                    received.append(time.monotonic() - start)

            listener = asyncio.create_task(listen())
            for q in range(10):  # a steady stream of changes for about 2 s
                for p in players:
                    await answer(api, quiz, p, q)
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - start
            await asyncio.sleep(0.7)
            listener.cancel()
        consumers = await two.close()
    finally:
        await two.close()
    assert consumers["lb-a"].acked + consumers["lb-b"].acked > 0
    allowed = int((elapsed + 0.7) / 0.5) + 1
    assert 2 <= len(received) <= allowed, received


async def test_bad_tokens_and_paths_are_refused_at_the_handshake(
    api: httpx.AsyncClient, gateway: Gateway
) -> None:
    quiz = await create_quiz(api)
    other = await create_quiz(api)
    stranger = await join(api, other["id"], "Stranger")
    cases = [
        (gateway.url(quiz["id"]), 401),
        (gateway.url(quiz["id"], "forged.token.value.sig"), 401),
        (gateway.url(quiz["id"], stranger["token"]), 403),
        (gateway.url("nope", ADMIN), 404),
        (gateway.url(987654321, ADMIN), 404),
    ]
    for url, status in cases:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == status, url
        body = json.loads(refused.value.response.body)
        assert set(body["error"]) == {"code", "message"}
    header = {"Authorization": f"Bearer {stranger['token']}"}
    async with connect(gateway.url(other["id"]), additional_headers=header) as ws:
        assert (await receive(ws))["quiz_id"] == other["id"]
    async with httpx.AsyncClient() as client:
        health = await client.get(f"http://127.0.0.1:{gateway.port}/healthz")
    assert health.status_code == 200


@pytest.mark.parametrize("settings", [{"allowed_origins": "https://quiz.example.org"}],
                         indirect=True)  # fmt: skip
async def test_the_gateway_admits_browser_pages_from_the_allowed_origins_only(
    api: httpx.AsyncClient, gateway: Gateway
) -> None:
    quiz = await create_quiz(api)
    url = gateway.url(quiz["id"], ADMIN)
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, origin=Origin("https://evil.example")):
            pass
    assert refused.value.response.status_code == 403
    assert json.loads(refused.value.response.body)["error"]["code"] == "origin_not_allowed"
    async with connect(url, origin=Origin("https://quiz.example.org")) as ws:
        assert (await receive(ws))["type"] == "leaderboard"
    async with connect(url) as ws:  # no Origin: an app, not a page
        assert (await receive(ws))["type"] == "leaderboard"


async def test_a_client_that_stops_reading_is_closed_while_others_keep_receiving(
    api: httpx.AsyncClient, gateway: Gateway, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    channel = f"{KEYS.tag(quiz['partition'])}lb:{quiz['id']}"
    pad = "x" * 200_000
    async with (
        connect(gateway.url(quiz["id"], ADMIN), max_queue=1) as slow,
        connect(gateway.url(quiz["id"], ADMIN), max_size=2**20) as good,
    ):
        await receive(slow)
        await receive(good)
        for version in range(1, 61):
            await redis.spublish(channel, json.dumps({"version": version, "pad": pad}))
            assert (await receive(good))["version"] == version
        with pytest.raises(ConnectionClosed) as closed:
            await drain(slow)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1013


async def test_a_lost_redis_connection_is_told_then_the_snapshot_resent(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis
) -> None:
    """The room hears that the gateway's feed is lost (its board may fall behind), then
    gets the board as it is now, then hears that the feed is live again."""
    workers.start()
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Rita")
    async with connect(gateway.url(quiz["id"], player["token"])) as ws:
        while (await receive(ws))["total_players"] < 1:
            pass
        assert await kill_pubsub_clients(redis) >= 1
        assert await receive(ws, within=5, feed=True) == {"type": "feed", "live": False}
        resent = await receive(ws, within=5, feed=True)
        assert resent["total_players"] == 1
        assert await receive(ws, within=5, feed=True) == {"type": "feed", "live": True}
        await answer(api, quiz, player, 0)
        while (await receive(ws))["entries"][0]["score"] != 100:
            pass


async def test_stopping_the_gateway_closes_clients_with_1001(
    api: httpx.AsyncClient, gateway: Gateway
) -> None:
    quiz = await create_quiz(api)
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        await receive(ws)
        gateway.stop.set()
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1001


async def test_a_malformed_message_on_the_channel_is_dropped_and_the_room_lives_on(
    api: httpx.AsyncClient, gateway: Gateway, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    channel = f"{KEYS.tag(quiz['partition'])}lb:{quiz['id']}"
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        await receive(ws)
        for garbage in (b"not json", b'{"version": "seven"}', b"\xff\xfe", b"[]"):
            await redis.spublish(channel, garbage)
        await redis.spublish(channel, json.dumps({"version": 5, "entries": []}))
        assert (await receive(ws, within=5))["version"] == 5


async def test_a_room_emptied_and_filled_again_at_once_stays_subscribed(
    api: httpx.AsyncClient,
    gateway: Gateway,
    redis: aioredis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sunsubscribe = PubSub.sunsubscribe
    late: list[tuple[Any, ...]] = []

    async def slow_sunsubscribe(self: PubSub, *channels: Any) -> Any:
        late.append(channels)
        await asyncio.sleep(0.2)  # a write that has to wait, as on a busy connection
        return await sunsubscribe(self, *channels)

    monkeypatch.setattr(PubSub, "sunsubscribe", slow_sunsubscribe)
    quiz = await create_quiz(api)
    async with connect(gateway.url(quiz["id"], ADMIN)) as first:
        await receive(first)
    # The room is empty now, and its unsubscribe is on its way when a client comes back.
    async with connect(gateway.url(quiz["id"], ADMIN)) as second:
        await receive(second)
        await asyncio.sleep(0.4)  # past the late unsubscribe
        await redis.spublish(
            f"{KEYS.tag(quiz['partition'])}lb:{quiz['id']}",
            json.dumps({"version": 9, "entries": []}),
        )
        # The late unsubscribe's reply may make the feed resubscribe and send the board
        # again (the same version, which clients drop); then the new snapshot comes.
        while (got := await receive(second, within=3))["version"] != 9:
            assert got["version"] == 0
        assert late  # the first client's leaving did unsubscribe, late


async def test_a_room_whose_last_client_leaves_while_another_enters_keeps_the_newcomer(
    api: httpx.AsyncClient,
    gateway: Gateway,
    redis: aioredis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quiz = await create_quiz(api)
    async with connect(gateway.url(quiz["id"], ADMIN)) as leaving:
        await receive(leaving)
        last_boards = Rooms._last_boards

        async def slow_last_boards(self: Rooms, quiz_id: int) -> Boards:
            await asyncio.sleep(0.3)  # a slow read while the newcomer is on its way in
            return await last_boards(self, quiz_id)

        monkeypatch.setattr(Rooms, "_last_boards", slow_last_boards)
        newcomer = await connect(gateway.url(quiz["id"], ADMIN))
    # The only client that was in the room has left before the newcomer got in.
    async with newcomer:
        await receive(newcomer)
        await redis.spublish(
            f"{KEYS.tag(quiz['partition'])}lb:{quiz['id']}",
            json.dumps({"version": 9, "entries": []}),
        )
        assert (await receive(newcomer, within=3))["version"] == 9
