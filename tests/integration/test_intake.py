"""The intake on a real Valkey: coalesced requests each get their own result, and none is
left waiting when the flusher fails or the API stops."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from quizboard.api.intake import Intake
from quizboard.core.errors import Unavailable
from quizboard.core.events import AnswerEvent
from quizboard.core.keys import ANSWERS, Keys
from quizboard.observe.metrics import ApiMetrics
from quizboard.settings import Settings


def answer_to(quiz_id: int) -> AnswerEvent:
    return AnswerEvent(quiz_id, "player-1", 1, "word", True, 10, 1_700_000_000_000)


async def test_an_error_in_one_partitions_script_is_the_error_of_its_requests_only(
    settings: Settings, redis: aioredis.Redis
) -> None:
    keys = Keys(settings.key_prefix)
    await redis.set(keys.quiz(1, 7).answered, "not the hash of answered questions")
    async with Intake(redis, keys) as intake:
        # Gathered, both wait in the queue before the flusher runs: one flush, two scripts.
        accepted, refused = await asyncio.gather(
            intake.answer(0, answer_to(6), 2**41, "127.0.0.1"),
            intake.answer(1, answer_to(7), 2**41, "127.0.0.1"),
            return_exceptions=True,
        )
    assert isinstance(accepted, str), accepted
    assert isinstance(refused, ResponseError), refused
    assert "WRONGTYPE" in str(refused)
    assert await redis.xlen(keys.stream(0, ANSWERS)) == 1
    assert await redis.exists(keys.stream(1, ANSWERS)) == 0


class BrokenOnce(Intake):
    """An intake whose first flush hands back one result too few: a bug in the flusher."""

    broken = True

    async def _send(self, requests: list[Any]) -> list[Any]:
        results = await super()._send(requests)
        if self.broken:
            self.broken = False
            return results[:-1]
        return results


async def test_a_flusher_that_dies_fails_its_requests_and_starts_again(
    settings: Settings, redis: aioredis.Redis
) -> None:
    keys = Keys(settings.key_prefix)
    metrics = ApiMetrics()
    async with BrokenOnce(redis, keys, metrics=metrics) as intake:
        first = await asyncio.wait_for(
            asyncio.gather(intake.answer(0, answer_to(6), 2**41, "127.0.0.1"),
                           return_exceptions=True),
            timeout=5,
        )  # fmt: skip
        assert isinstance(first[0], ValueError), first  # answered, not left waiting
        assert metrics.intake_restarts._value.get() == 1
        # The flusher runs again: the next request goes through, and the first one's
        # copy (it did run) makes a repeat.
        assert await asyncio.wait_for(intake.answer(0, answer_to(6), 2**41, "::1"), 5) is None
        assert isinstance(await intake.answer(0, answer_to(8), 2**41, "::1"), str)


async def test_requests_still_queued_at_shutdown_get_unavailable(
    settings: Settings, redis: aioredis.Redis
) -> None:
    async with Intake(redis, Keys(settings.key_prefix)) as intake:
        queued = asyncio.create_task(intake.answer(0, answer_to(6), 2**41, "127.0.0.1"))
        await asyncio.sleep(0)  # queued, and the flusher woken but not yet run
    with pytest.raises(Unavailable, match="shutting down"):
        await asyncio.wait_for(queued, 5)
    with pytest.raises(Unavailable):
        await intake.answer(0, answer_to(7), 2**41, "127.0.0.1")
