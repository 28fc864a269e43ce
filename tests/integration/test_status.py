"""``quizboard status`` names a missing group, shows a stopped group's lag, and clears once
every group runs."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import redis.asyncio as aioredis

from quizboard.core.keys import ANSWERS, Keys
from quizboard.settings import Settings
from tests.support.processes import quizboard
from tests.support.quizzes import BACKENDS
from tests.support.stack import Workers
from tests.support.steps import answer_all, create_quiz, eventually, join


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_status_shows_lag_then_clears(
    api: httpx.AsyncClient, settings: Settings, workers: Workers, redis: aioredis.Redis
) -> None:
    workers.start("joins-db", "joins-redis", "answers-redis", "leaderboard")
    quiz = await create_quiz(api)
    stream = Keys("qb:").stream(quiz["partition"], ANSWERS)
    quiz["questions"] = quiz["questions"][:4]
    players = [await join(api, quiz["id"], f"S{i}") for i in range(5)]
    await answer_all(api, quiz, players)

    # answers-db's worker never started: its group does not even exist.
    never = await asyncio.to_thread(quizboard, settings, "status")
    assert never.returncode == 1, never.stdout
    assert f"OVER THRESHOLD: {stream} answers-db: the group is missing" in never.stdout
    masters = [line for line in never.stdout.splitlines() if line.startswith("partitions on ")]
    assert len(masters) == (3 if settings.redis_cluster else 1), never.stdout
    assert "spread unevenly" not in never.stdout  # 6 partitions over 3 masters: 2 each

    await redis.xgroup_create(stream, "answers-db", id="0", mkstream=True)  # a stopped worker

    lagging = await asyncio.to_thread(quizboard, settings, "status", "--max-lag", "10")
    assert lagging.returncode == 1, lagging.stdout
    assert "OVER THRESHOLD" in lagging.stdout
    assert f"{stream} answers-db: lag 20 > 10" in lagging.stdout
    assert "dead letters: p0 0, p1 0" in lagging.stdout

    workers.add("answers-db", "back")

    async def cleared() -> bool:
        result = await asyncio.to_thread(
            quizboard, settings, "status", "--max-lag", "10", "--max-pending", "0"
        )
        return result.returncode == 0

    await eventually(cleared, within=15)
