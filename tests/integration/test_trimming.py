"""The trimmer never removes an entry that some group still needs."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis

from quizboard.core.keys import ANSWERS, Keys
from quizboard.settings import Settings
from quizboard.streams.trimmer import trim_once
from tests.support.stack import Workers
from tests.support.steps import answer_all, board_scores, count, create_quiz, eventually, join

KEYS = Keys("qb:")


async def test_trimming_while_a_group_lags_keeps_what_it_needs(
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-redis")  # answers-db lags: not running
    quiz = await create_quiz(api)
    quiz["questions"] = quiz["questions"][:5]
    players = [await join(api, quiz["id"], f"T{i}") for i in range(20)]
    accepted = await answer_all(api, quiz, players)
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    await eventually(lambda: _equal(board_scores(redis, quiz), accepted), within=5)

    await redis.xgroup_create(stream, "answers-db", id="0")
    assert (await trim_once(redis, KEYS, settings.partitions)).get(stream) == 0
    assert await redis.xlen(stream) == 100  # answers-db has read nothing yet

    # answers-db reads 60 entries and acks the first 30: 30 may go, no more.
    read = await redis.xreadgroup("answers-db", "slow", {stream: ">"}, count=60)
    ids = [entry_id for entry_id, _ in read[0][1]]
    await redis.xack(stream, "answers-db", *ids[:30])
    assert (await trim_once(redis, KEYS, settings.partitions))[stream] == 30
    assert await redis.xlen(stream) == 70
    assert (await redis.xrange(stream, count=1))[0][0] == ids[30]

    workers.add("answers-db", "catching-up")  # it also reclaims what "slow" left pending

    async def stored() -> bool:
        return await count(db, "SELECT count(*) FROM user_answer") == 70

    # The 30 acked by hand were never stored (the test acked them without a sink): the
    # other 70, pending and unread, all arrive.
    await eventually(stored, within=10)


async def _equal(left: Any, right: Any) -> bool:
    return bool(await left == right)


async def test_the_redis_keys_of_long_ended_quizzes_are_dropped(
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    from quizboard.store.connections import Reconnecting
    from quizboard.streams.trimmer import expire_ended

    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    old, live = await create_quiz(api), await create_quiz(api)
    for quiz in (old, live):
        await join(api, quiz["id"], "Keeper")

    async def joined() -> bool:
        return await count(db, "SELECT count(*) FROM user_quiz") == 2

    await eventually(joined)
    await db.execute(
        "UPDATE quizzes SET available_at = now() - interval '3 days',"
        " ends_at = now() - interval '2 days' WHERE id = %s",
        (old["id"],),
    )
    async with Reconnecting(settings.database_url) as pg:
        removed = await expire_ended(redis, pg, KEYS, retention_s=86_400)
    assert removed >= 2  # at least the board and the names
    assert not await redis.exists(KEYS.quiz(old["partition"], old["id"]).leaderboard)
    assert await redis.exists(KEYS.quiz(live["partition"], live["id"]).leaderboard)
    assert await count(db, "SELECT count(*) FROM user_quiz WHERE quiz_id = %s", old["id"]) == 1
