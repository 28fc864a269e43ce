"""The accepting script against its model: ``core/scoring.py``'s speed points, streak and
bonus, at their boundaries, with the script's own clock on a real Valkey.

The test moves the open question's ``opened`` on Valkey's clock, answers, and reads
the time the script stamped on the event: the points it gave must be the model's
for exactly that elapsed time and streak.
"""

from __future__ import annotations

from typing import Any

import httpx
import redis.asyncio as aioredis

from quizboard.core.scoring import speed_points, streak_after, streak_bonus
from tests.support.steps import KEYS, answer, create_live_quiz, host, join

LIMIT_MS = 1000  # odd elapsed times then land on .5: the script must round half up


async def _valkey_ms(redis: aioredis.Redis) -> int:
    seconds, micros = await redis.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def _stamped(redis: aioredis.Redis, quiz: dict[str, Any], event_id: str) -> int:
    stream = KEYS.stream(quiz["partition"], "answers")
    [(_, fields)] = await redis.xrange(stream, event_id, event_id)
    return int(fields[b"d"].split(b'"answered_at":')[1].split(b"}")[0])


async def test_speed_points_are_the_model_s_at_every_elapsed_time(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    quiz = await create_live_quiz(api, picks=(0, 1))
    players = [await join(api, quiz["id"], f"P{i}") for i in range(24)]
    await host(api, quiz, "next")
    live = KEYS.quiz(quiz["partition"], quiz["id"]).live
    # From a question opened in the future (a clock a hair behind: full points) to one
    # about to close; each at a time the test sets on Valkey's clock.
    ages = [-50, 0, 1, 2, 3, *range(97, 1000, 53), 990, 995]
    seen = set()
    for player, age in zip(players, ages, strict=False):
        opened = await _valkey_ms(redis) - age
        await redis.hset(live, mapping={"opened": opened, "closes": opened + LIMIT_MS,
                                        "limit": LIMIT_MS})  # fmt: skip
        reply = await answer(api, quiz, player, 0)
        elapsed = await _stamped(redis, quiz, reply["event_id"]) - opened
        seen.add(elapsed % 2)
        assert reply["points"] == speed_points(1000, elapsed, LIMIT_MS), (age, elapsed)
    assert seen == {0, 1}  # both exact and half-way points were met


async def test_streaks_and_their_bonus_are_the_model_s(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    """Seven right answers in a row reach the bonus cap; a wrong answer and a missed
    question each reset the streak."""
    quiz = await create_live_quiz(api, picks=(0, 1, 2, 4, 5, 7, 8, 0, 1, 2, 4, 5))
    player = await join(api, quiz["id"], "Ann")
    await join(api, quiz["id"], "Bob")  # who never answers: no question closes early
    plan = [True, True, True, True, True, True, True, False, True, None, True, True]
    streak, last = 0, None
    for index, right in enumerate(plan):
        state = await host(api, quiz, "next")
        if right is None:  # missed
            continue
        position = index + 1
        reply = await answer(api, quiz, player, index, right)
        elapsed = await _stamped(redis, quiz, reply["event_id"]) - state["opened_at"]
        streak = streak_after(streak, last, position, right)
        last = position if right else last
        expected = speed_points(1000, elapsed, 20_000) + streak_bonus(streak) if right else 0
        assert (reply["points"], reply["streak"]) == (expected, streak), position
    assert streak_bonus(7) == 500  # the cap was reached on the way
