"""Crashes, redeliveries and poison entries lose nothing and count nothing twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from quizboard.core.keys import ANSWERS, Keys
from quizboard.settings import Settings
from quizboard.store.connections import pg_pool
from quizboard.streams.entries import Entry
from quizboard.streams.postgres_sinks import UserAnswerSink, create_staging_tables
from quizboard.streams.redis_sinks import LeaderboardAnswerSink
from tests.support.processes import (
    kill,
    paused,
    quizboard,
    spawn_paused_worker,
    spawn_worker,
    terminate,
)
from tests.support.quizzes import ADMIN, BACKENDS
from tests.support.stack import Gateway, Workers
from tests.support.steps import (
    answer,
    answer_all,
    board_scores,
    count,
    create_quiz,
    eventually,
    join,
)

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

KEYS = Keys("qb:")


async def stored_scores(db: psycopg.AsyncConnection[Any], quiz_id: int) -> dict[str, int]:
    cursor = await db.execute(
        "SELECT player_id::text, sum(points) FROM user_answer WHERE quiz_id = %s GROUP BY 1",
        (quiz_id,),
    )
    return {player: int(total) for player, total in await cursor.fetchall()}


async def play(api: httpx.AsyncClient, players: int = 150, questions: int = 3
               ) -> tuple[dict[str, Any], dict[str, int]]:  # fmt: skip
    """A few hundred answers: ``players`` join and answer ``questions`` questions each."""
    quiz = await create_quiz(api)
    quiz["questions"] = quiz["questions"][:questions]
    joined = [await join(api, quiz["id"], f"P{i}") for i in range(players)]
    return quiz, await answer_all(api, quiz, joined)


async def reconciled(settings: Settings, quiz_id: int) -> bool:
    result = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz_id))
    return result.returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("point", ["after-copy", "after-commit"])
async def test_answers_db_killed_between_copy_commit_and_ack(
    point: str,
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-redis")
    stopping = await spawn_paused_worker(settings, "answers-db", "crash-db", point)
    quiz, accepted = await play(api)
    total = 150 * 3
    await paused(stopping, point)
    await kill(stopping)
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    in_flight = (await redis.xpending(stream, "answers-db"))["pending"]
    assert in_flight > 0  # the batch in hand was never acked
    rows = await count(db, "SELECT count(*) FROM user_answer")
    if point == "after-copy":
        assert rows == 0  # killed before the commit: nothing stored
    else:
        assert rows == in_flight  # committed, but not acked: it will come again
    print(f"\nanswers-db killed {point}: {in_flight} entries in flight, {rows} rows stored")

    restarted = spawn_worker(settings, "answers-db", "crash-db")
    try:

        async def stored() -> bool:
            return await count(db, "SELECT count(*) FROM user_answer") == total

        await eventually(stored, within=20)

        async def acked() -> bool:  # a batch is acked just after its commit, not with it
            return (await redis.xpending(stream, "answers-db"))["pending"] == 0

        await eventually(acked, within=5)
    finally:
        assert terminate(restarted) == 0
    assert await count(db, "SELECT count(*) FROM user_answer") == total
    assert await stored_scores(db, quiz["id"]) == {p: s for p, s in accepted.items() if s}
    await eventually(lambda: reconciled(settings, quiz["id"]), within=10)


@pytest.mark.slow
async def test_answers_redis_killed_mid_batch(
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db")
    stopping = await spawn_paused_worker(settings, "answers-redis", "crash-lb", "before-apply")
    quiz, accepted = await play(api)
    await paused(stopping, "before-apply")
    await kill(stopping)
    assert sum((await board_scores(redis, quiz)).values()) == 0
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    in_flight = (await redis.xpending(stream, "answers-redis"))["pending"]
    print(f"\nanswers-redis killed before its script: {in_flight} entries in flight")

    restarted = spawn_worker(settings, "answers-redis", "crash-lb")
    try:

        async def applied() -> bool:
            return await board_scores(redis, quiz) == accepted

        await eventually(applied, within=20)
        await asyncio.sleep(0.5)  # a second application would show by now
        assert await board_scores(redis, quiz) == accepted
    finally:
        assert terminate(restarted) == 0
    await eventually(lambda: reconciled(settings, quiz["id"]), within=10)


@pytest.mark.slow
async def test_a_killed_leaderboard_worker_still_delivers_the_final_snapshot(
    api: httpx.AsyncClient,
    settings: Settings,
    workers: Workers,
    gateway: Gateway,
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Final")
    stopping = await spawn_paused_worker(settings, "leaderboard", "crash-snap", "before-publish")
    async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
        json.loads(await ws.recv())
        last_event = (await answer(api, quiz, player, 0))["event_id"]
        await paused(stopping, "before-publish")
        await kill(stopping)
        restarted = spawn_worker(settings, "leaderboard", "crash-snap")
        try:
            while True:
                snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if snapshot["as_of"] == last_event:
                    break
        finally:
            assert terminate(restarted) == 0
    assert snapshot["entries"][0]["score"] == 100
    await eventually(lambda: reconciled(settings, quiz["id"]), within=10)


async def test_replaying_a_batch_changes_nothing(
    api: httpx.AsyncClient,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
    workers: Workers,
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"R{i}") for i in range(5)]
    accepted = await answer_all(api, quiz, players)

    async def applied() -> bool:
        return await board_scores(redis, quiz) == accepted and await count(
            db, "SELECT count(*) FROM user_answer") == 50  # fmt: skip

    await eventually(applied)
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    entries = [Entry(stream, i.decode(), f) for i, f in await redis.xrange(stream)]
    # Deliver the whole stream again, as a reclaim or a replay would.
    async with pg_pool(settings.database_url, configure=create_staging_tables) as pool:
        await UserAnswerSink(pool, redis, KEYS).apply("answers-db", entries)
    await LeaderboardAnswerSink(redis, KEYS).apply("answers-redis", entries)
    assert await board_scores(redis, quiz) == accepted
    assert await count(db, "SELECT count(*) FROM user_answer") == 50
    await eventually(lambda: reconciled(settings, quiz["id"]), within=10)


async def test_a_poison_entry_ends_in_the_dead_stream_while_the_group_goes_on(
    api: httpx.AsyncClient,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
    workers: Workers,
) -> None:
    quiz = await create_quiz(api)
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    poison_id = (await redis.xadd(stream, {"d": b'{"quiz_id": "not a number"}'})).decode()
    workers.start("answers-db", "answers-redis")
    player = await join(api, quiz["id"], "Eve")
    await answer(api, quiz, player, 0)
    dead = KEYS.stream(quiz["partition"], "dead")

    async def settled() -> bool:
        rows = await count(db, "SELECT count(*) FROM user_answer")
        return rows == 1 and await redis.xlen(dead) == 2

    await eventually(settled, within=10)
    letters = {f[b"group"].decode(): f for _, f in await redis.xrange(dead)}
    assert set(letters) == {"answers-db", "answers-redis"}
    for letter in letters.values():
        assert letter[b"id"].decode() == poison_id
        assert int(letter[b"deliveries"]) > 2
        assert b"ValidationError" in letter[b"error"]
        assert letter[b"field:d"] == b'{"quiz_id": "not a number"}'

    async def acked() -> bool:  # the answer's batch is acked just after its commit
        return all([(await redis.xpending(stream, g))["pending"] == 0 for g in letters])

    await eventually(acked, within=5)
    assert await board_scores(redis, quiz) == {player["player_id"]: 100}


async def test_a_worker_whose_group_goes_missing_waits_for_it_and_counts_nothing_twice(
    api: httpx.AsyncClient, redis: aioredis.Redis, workers: Workers
) -> None:
    """NOGROUP (a resharding has answered it mid-move) is a retry, not a dead worker,
    and never a new group that would deliver every entry again."""
    workers.start("joins-redis", "answers-redis")
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"G{i}") for i in range(3)]
    accepted = await answer_all(api, {**quiz, "questions": quiz["questions"][:2]}, players)
    await eventually(lambda: _board_is(redis, quiz, accepted))
    stream = KEYS.stream(quiz["partition"], ANSWERS)
    (group,) = [g for g in await redis.xinfo_groups(stream) if g["name"] == b"answers-redis"]
    assert await redis.xgroup_destroy(stream, "answers-redis") == 1
    more = await answer_all(api, {**quiz, "questions": quiz["questions"][2:4]}, players)
    await asyncio.sleep(0.5)
    assert await board_scores(redis, quiz) == accepted  # the worker waits
    assert not workers.tasks["answers-redis"].done()
    await redis.xgroup_create(stream, "answers-redis", id=group["last-delivered-id"])
    totals = {p: accepted[p] + more[p] for p in accepted}
    await eventually(lambda: _board_is(redis, quiz, totals), within=10)


async def _board_is(redis: aioredis.Redis, quiz: dict[str, Any], scores: dict[str, int]) -> bool:
    return await board_scores(redis, quiz) == scores
