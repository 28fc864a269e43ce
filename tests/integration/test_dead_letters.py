"""Poison in every group ends in the dead stream; operators list and re-drive it."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.core.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.settings import Settings
from tests.support.processes import quizboard
from tests.support.stack import Workers
from tests.support.steps import answer, count, create_quiz, eventually, join

KEYS = Keys("qb:")


@pytest.mark.slow
async def test_poison_in_every_group_is_dead_lettered_and_stays_dead(
    api: httpx.AsyncClient, settings: Settings, workers: Workers, redis: aioredis.Redis
) -> None:
    for stream in (JOINS, ANSWERS, LB_CHANGES):
        await redis.xadd(KEYS.stream(0, stream), {"d": b"not json at all"})
    workers.start()

    async def all_dead() -> bool:
        return await redis.xlen(KEYS.dead(0)) == 5

    await eventually(all_dead, within=15)
    listed = quizboard(settings, "dead", "list")
    assert listed.returncode == 0
    for group in ("joins-db", "joins-redis", "answers-db", "answers-redis", "leaderboard"):
        assert f" {group} " in listed.stdout
    assert "5 dead letters" in listed.stdout
    assert "DecodeError" in listed.stdout

    again = quizboard(settings, "dead", "retry", "--all")
    assert again.returncode == 1
    assert again.stdout.count("failed again") == 5
    assert await redis.xlen(KEYS.dead(0)) == 5

    # The groups went on: a real join and answer still land.
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "After")
    assert player["player_id"]


@pytest.mark.slow
async def test_a_dead_letter_is_redriven_once_after_the_cause_is_fixed(
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    quiz = await create_quiz(api)
    p, q = quiz["partition"], quiz["id"]
    player = await join(api, q, "Fixed")
    # Break both sinks of the answer: PostgreSQL refuses it, Redis finds a key of the wrong type.
    await db.execute("ALTER TABLE user_answer ADD CONSTRAINT tiny CHECK (points < 50)")
    await redis.hset(KEYS.quiz(p, q).lb_as_of, "wrong", "type")
    try:
        workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
        await answer(api, quiz, player, 0)

        async def both_dead() -> bool:
            return await redis.xlen(KEYS.dead(p)) == 2

        await eventually(both_dead, within=15)
    finally:
        await db.execute("ALTER TABLE user_answer DROP CONSTRAINT tiny")
    await redis.delete(KEYS.quiz(p, q).lb_as_of)
    letters = {f[b"group"].decode(): i.decode() for i, f in await redis.xrange(KEYS.dead(p))}
    assert set(letters) == {"answers-db", "answers-redis"}

    retried = quizboard(settings, "dead", "retry", *letters.values())
    assert retried.returncode == 0, retried.stdout
    assert retried.stdout.count("re-driven") == 2
    assert await count(db, "SELECT count(*) FROM user_answer") == 1
    board = KEYS.quiz(p, q).leaderboard
    assert await redis.zscore(board, player["player_id"]) == 100

    twice = quizboard(settings, "dead", "retry", *letters.values())
    assert twice.returncode == 1
    assert "no such dead letter" in twice.stdout
    assert await redis.zscore(board, player["player_id"]) == 100
    assert await redis.xlen(KEYS.dead(p)) == 0
    clean = quizboard(settings, "reconcile", str(q))
    assert clean.returncode == 0, clean.stdout
