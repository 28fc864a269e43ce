"""The gateway's standings pusher on a real Valkey: each snapshot reaches each player in
one write with its standing, runs follow the snapshots, and players who enter are
served by runs of their own, at most one per interval."""

from __future__ import annotations

import time
from typing import Any, cast

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection

from quizboard.core.keys import Keys
from quizboard.gateway.standings import StandingsPusher, Watchers
from tests.support.steps import eventually

KEYS = Keys("qb:")
QUIZ, PARTITION = 7, 0
INTERVAL_S = 2.0  # long enough to tell a run the snapshot started from a scheduled one


def client() -> ServerConnection:
    return cast(ServerConnection, object())


async def test_runs_follow_the_snapshots_and_entrants_wait_for_the_interval(
    redis: aioredis.Redis,
) -> None:
    quiz = KEYS.quiz(PARTITION, QUIZ)
    await redis.zadd(quiz.leaderboard, {"p1": 10, "p2": 20, "p3": 5})
    await redis.set(quiz.lb_as_of, "1-0")
    writes: list[tuple[Any, bytes]] = []
    pusher = StandingsPusher(
        redis, KEYS, lambda _, to, data: writes.append((to, data)), interval_s=INTERVAL_S
    )
    watchers = Watchers()
    one, two, three = client(), client(), client()
    watchers.enter(one, "p1")
    watchers.enter(two, "p2")

    async def written(count: int) -> bool:
        return len(writes) == count

    try:
        # The snapshot goes to each player in one write with its standing.
        assert pusher.changed(QUIZ, PARTITION, watchers, b"<first>")
        await eventually(lambda: written(2))
        assert all(data.startswith(b"<first>") and b'"standing"' in data for _, data in writes)
        # The next snapshot ends the run's rest: no wait for the interval.
        await redis.zincrby(quiz.leaderboard, 20, "p1")
        started = time.monotonic()
        assert pusher.changed(QUIZ, PARTITION, watchers, b"<second>")
        await eventually(lambda: written(4))
        assert time.monotonic() - started < INTERVAL_S / 2
        assert all(data.startswith(b"<second>") and b'"standing"' in data
                   for _, data in writes[2:])  # fmt: skip
        # A snapshot that changes no standing goes to the players alone.
        assert pusher.changed(QUIZ, PARTITION, watchers, b"<third>")
        await eventually(lambda: written(6))
        assert [data for _, data in writes[4:]] == [b"<third>", b"<third>"]
        # A player who enters gets its standing alone, once the interval has passed.
        watchers.enter(three, "p3")
        pusher.entered(QUIZ, PARTITION, watchers)
        await eventually(lambda: written(7), within=INTERVAL_S * 2)
        assert writes[6][0] is three
        assert b'"rank":3' in writes[6][1]
        assert time.monotonic() - started >= INTERVAL_S * 0.9
        assert pusher.runs == 4
    finally:
        await pusher.close()
