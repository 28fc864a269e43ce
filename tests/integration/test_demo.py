"""The demo's simulated host runs a live quiz to its end through a real API process."""

from __future__ import annotations

from typing import Any

import psycopg
import redis.asyncio as aioredis

from quizboard.local.demo import LiveDemo
from quizboard.settings import Settings
from tests.support.processes import api_process
from tests.support.quizzes import ADMIN
from tests.support.stack import Workers
from tests.support.steps import count, eventually


async def test_the_simulated_host_runs_a_live_quiz_question_by_question(
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start()
    async with api_process(settings) as base:
        demo = LiveDemo(base, ADMIN, players=4, questions=3, time_limit_s=5, results_s=0.1)
        quiz = await demo.create()
        closed = await demo.run(quiz)
        assert [state["phase"] for state in closed] == ["results"] * 3
        assert [state["question"]["position"] for state in closed] == [1, 2, 3]
        assert all(state["answered"] <= 4 for state in closed)
        answered = sum(state["answered"] for state in closed)
        assert answered > 0  # the players did play

        async def recorded() -> bool:
            sql = "SELECT count(*) FROM user_answer WHERE quiz_id = %s"
            return await count(db, sql, quiz["id"]) == answered

        await eventually(recorded, within=10)
        phase = "SELECT phase FROM quizzes WHERE id = %s"
        assert (await (await db.execute(phase, (quiz["id"],))).fetchone()) == ("finished",)
        times = "SELECT count(*) FROM questions WHERE quiz_id = %s AND closed_at > opened_at"
        assert await count(db, times, quiz["id"]) == 3
