"""The gateway's standings pusher on a real Valkey: when each player's snapshot goes out
with its standing in one write, and when it goes to everyone at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection

from quizboard.core.keys import Keys
from quizboard.gateway.standings import StandingsPusher, Watchers
from tests.support.steps import eventually

KEYS = Keys("qb:")
QUIZ, PARTITION = 7, 0
INTERVAL_S = 2.0  # long, so that the test's moves land well inside each window


async def test_a_snapshot_due_just_before_the_next_run_goes_with_it(
    redis: aioredis.Redis,
) -> None:
    quiz = KEYS.quiz(PARTITION, QUIZ)
    await redis.zadd(quiz.leaderboard, {"p1": 10, "p2": 20})
    await redis.set(quiz.lb_as_of, "1-0")
    writes: list[tuple[Any, bytes]] = []
    pusher = StandingsPusher(
        redis, KEYS, lambda _, client, data: writes.append((client, data)),
        interval_s=INTERVAL_S,
    )  # fmt: skip
    watchers = Watchers()
    one, two = cast(ServerConnection, object()), cast(ServerConnection, object())
    watchers.enter(one, "p1")
    watchers.enter(two, "p2")
    try:
        # A run that can start takes the snapshot to each player with its standing.
        assert pusher.changed(QUIZ, PARTITION, watchers, b"<first>")
        await eventually(lambda: _true(len(writes) == 2))
        assert all(data.startswith(b"<first>") and b'"standing"' in data for _, data in writes)
        # Early in the run's interval: the caller sends the snapshot to everyone now.
        assert not pusher.changed(QUIZ, PARTITION, watchers, b"<early>")
        # Just before the run is due: the run takes it, one write per player.
        await asyncio.sleep(watchers.wakes_at - time.monotonic() - INTERVAL_S / 10)
        await redis.zincrby(quiz.leaderboard, 20, "p1")
        assert pusher.changed(QUIZ, PARTITION, watchers, b"<late>")
        await eventually(lambda: _true(len(writes) == 4), within=INTERVAL_S)
        late = dict(writes[2:])
        assert set(late) == {one, two}
        assert all(data.startswith(b"<late>") and b'"standing"' in data for data in late.values())
        assert pusher.runs == 2
    finally:
        await pusher.close()


async def _true(value: bool) -> bool:
    return value
