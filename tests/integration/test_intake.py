"""The intake on a real Valkey: coalesced requests each get their own result."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from quizboard.api.intake import Intake
from quizboard.core.events import AnswerEvent
from quizboard.core.keys import ANSWERS, Keys
from quizboard.settings import Settings


def answer_to(quiz_id: int) -> AnswerEvent:
    return AnswerEvent(quiz_id, "player-1", 1, "word", True, 10, 1_700_000_000_000)


async def test_an_error_in_one_partitions_script_is_the_error_of_its_requests_only(
    settings: Settings, redis: aioredis.Redis
) -> None:
    keys = Keys(settings.key_prefix)
    await redis.set(keys.answered(1, 7), "not the hash of answered questions")
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
