"""Crashes, redeliveries and poison entries lose nothing and count nothing twice."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.connections import pg_pool
from quizboard.keys import ANSWERS, Keys
from quizboard.settings import Settings
from quizboard.streams.consumer import Entry
from quizboard.streams.postgres_sinks import UserAnswerSink, create_staging_tables
from quizboard.streams.redis_sinks import LeaderboardAnswerSink
from tests.integration.conftest import Workers
from tests.integration.processes import spawn_worker, terminate
from tests.integration.steps import count, create_quiz, eventually, join, right_answer

KEYS = Keys("qb:")


async def answer_all(
    api: httpx.AsyncClient, quiz: dict[str, Any], players: list[dict[str, Any]]
) -> dict[str, int]:
    """Every player answers every question, concurrently; return the points accepted per player."""
    accepted: dict[str, int] = {p["player_id"]: 0 for p in players}

    async def one(player: dict[str, Any], index: int, question: dict[str, Any]) -> None:
        answer = right_answer(question) if index % 3 else "wrong"
        if question["kind"] == "choice" and answer == "wrong":
            answer = (question["answer"] + 1) % len(question["choices"])
        response = await api.post(
            f"/quizzes/{quiz['id']}/answers",
            json={"question_id": question["id"], "answer": answer},
            headers={"Authorization": f"Bearer {player['token']}"},
        )
        assert response.status_code == 202, response.text
        accepted[player["player_id"]] += response.json()["points"]

    for player in players:
        await asyncio.gather(*[one(player, i, q) for i, q in enumerate(quiz["questions"])])
    return accepted


async def board_scores(redis: aioredis.Redis, quiz: dict[str, Any]) -> dict[str, int]:
    rows = await redis.zrange(KEYS.leaderboard(quiz["partition"], quiz["id"]), 0, -1,
                              withscores=True)  # fmt: skip
    return {member.decode(): int(score) for member, score in rows}


async def stored_scores(db: psycopg.AsyncConnection[Any], quiz_id: int) -> dict[str, int]:
    cursor = await db.execute(
        "SELECT player_id::text, sum(points) FROM user_answer WHERE quiz_id = %s GROUP BY 1",
        (quiz_id,),
    )
    return {player: int(total) for player, total in await cursor.fetchall()}


@pytest.mark.slow
async def test_sigkilled_workers_lose_nothing_and_count_nothing_twice(
    api: httpx.AsyncClient,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    settings = settings.replace(batch_size=40, batch_interval_ms=50)
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"P{i}") for i in range(60)]
    groups = ("answers-db", "answers-redis")
    procs = {g: spawn_worker(settings, g, f"crash-{g}") for g in groups}
    answering = asyncio.create_task(answer_all(api, quiz, players))
    total = len(players) * len(quiz["questions"])

    async def partly_stored() -> bool:
        rows = await count(db, "SELECT count(*) FROM user_answer")
        return rows >= total // 4

    await eventually(partly_stored, within=30)
    for proc in procs.values():
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    accepted = await answering
    assert await count(db, "SELECT count(*) FROM user_answer") < total

    procs = {g: spawn_worker(settings, g, f"crash-{g}") for g in groups}
    try:

        async def all_applied() -> bool:
            return (
                await count(db, "SELECT count(*) FROM user_answer") == total
                and await board_scores(redis, quiz) == accepted
            )

        await eventually(all_applied, within=30)
        await asyncio.sleep(0.5)  # anything applied twice would show by now
        assert await board_scores(redis, quiz) == accepted
        assert await stored_scores(db, quiz["id"]) == {p: s for p, s in accepted.items() if s}
        assert await count(db, "SELECT count(*) FROM user_answer") == total
    finally:
        for proc in procs.values():
            assert terminate(proc) == 0


async def test_replaying_a_batch_changes_nothing(
    api: httpx.AsyncClient,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
    workers: Workers,
) -> None:
    workers.start("answers-db", "answers-redis")
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
        await UserAnswerSink(pool).apply("answers-db", entries)
    await LeaderboardAnswerSink(redis, KEYS).apply("answers-redis", entries)
    assert await board_scores(redis, quiz) == accepted
    assert await count(db, "SELECT count(*) FROM user_answer") == 50


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
    question = quiz["questions"][0]
    response = await api.post(
        f"/quizzes/{quiz['id']}/answers",
        json={"question_id": question["id"], "answer": right_answer(question)},
        headers={"Authorization": f"Bearer {player['token']}"},
    )
    assert response.status_code == 202
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
    for group in letters:
        assert (await redis.xpending(stream, group))["pending"] == 0
    assert await board_scores(redis, quiz) == {player["player_id"]: 100}
