"""Outages under load: PostgreSQL stopped for 20 s, Valkey restarted or crashed.

Each test runs its own server for the one it takes down, so the session's
servers stay up for every other test.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.local.embedded import EmbeddedPostgres, EmbeddedValkey
from quizboard.settings import Settings
from quizboard.store.migrations import migrate
from tests.support.processes import quizboard
from tests.support.quizzes import ADMIN, BACKENDS
from tests.support.stack import Workers, api_client, running_gateway
from tests.support.steps import answer, create_quiz, eventually, join
from tests.support.watch import watching

KEYS = Keys("qb:")


class Load:
    """Players answering in the background, noting every response."""

    def __init__(self, api: httpx.AsyncClient, quiz: dict[str, Any], players: list[Any]):
        self.api, self.quiz, self.players = api, quiz, players
        self.statuses: dict[int, int] = {}
        self.accepted: list[tuple[float, str, int]] = []  # (time, event id, points)
        self.refused: list[httpx.Response] = []

    async def run(self, per_second: float) -> None:
        jobs = [(p, q) for q in self.quiz["questions"] for p in self.players]
        for player, question in jobs:
            started = time.monotonic()
            response = await self.api.post(
                f"/quizzes/{self.quiz['id']}/answers",
                json={"question_id": question["id"], "answer": 0 if question["kind"] ==
                      "choice" else "guess"},
                headers={"Authorization": f"Bearer {player['token']}"},
            )  # fmt: skip
            self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
            if response.status_code == 202:
                body = response.json()
                self.accepted.append((time.time(), body["event_id"], body["points"]))
            else:
                self.refused.append(response)
            await asyncio.sleep(max(0.0, 1 / per_second - (time.monotonic() - started)))


async def stored(db_url: str, quiz_id: int) -> tuple[int, int]:
    async with await psycopg.AsyncConnection.connect(db_url) as conn:
        cursor = await conn.execute(
            "SELECT count(*), coalesce(sum(points), 0) FROM user_answer WHERE quiz_id = %s",
            (quiz_id,),
        )
        rows, points = await cursor.fetchone() or (0, 0)
    return int(rows), int(points)


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path / "pg", durable=False)
    server.start()
    try:
        async with await psycopg.AsyncConnection.connect(server.url) as conn:
            await migrate(conn)
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
async def test_postgres_down_for_20_s_under_load(
    settings: Settings, redis: aioredis.Redis, own_postgres: EmbeddedPostgres
) -> None:
    settings = settings.replace(database_url=own_postgres.url)
    workers = Workers(settings)
    async with api_client(settings) as api:
        workers.start()
        quiz = await create_quiz(api)
        quiz["questions"] = quiz["questions"][:5]
        players = [await join(api, quiz["id"], f"D{i}") for i in range(60)]
        load = Load(api, quiz, players)
        running = asyncio.create_task(load.run(per_second=12))
        await asyncio.sleep(2)
        own_postgres.stop()
        down_at = len(load.accepted)
        stream = KEYS.stream(quiz["partition"], ANSWERS)
        backlog = []
        for _ in range(20):
            await asyncio.sleep(1)
            groups = {g["name"].decode(): g for g in await redis.xinfo_groups(stream)}
            answers_db = groups["answers-db"]
            backlog.append(int(answers_db["pending"]) + int(answers_db["lag"] or 0))
        accepted_while_down = len(load.accepted) - down_at
        own_postgres.start()
        restarted = time.monotonic()
        await running
        total = len(load.accepted)

        async def drained() -> bool:
            return (await stored(settings.database_url or "", quiz["id"]))[0] == total

        await eventually(drained, within=30)
        drain_s = time.monotonic() - restarted
        await workers.close()
    assert load.statuses.get(500, 0) == 0
    assert accepted_while_down > 100  # the API kept accepting
    assert backlog[-1] > backlog[0] > 0  # the backlog grew while PostgreSQL was away
    rows, points = await stored(settings.database_url or "", quiz["id"])
    assert rows == total  # nothing lost, nothing twice (the primary key would refuse a twin)
    assert points == sum(p for _, _, p in load.accepted)
    result = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz["id"]))
    assert result.returncode == 0, result.stdout
    print(
        f"\nPostgreSQL down 20 s: {accepted_while_down} answers accepted meanwhile, "
        f"backlog {backlog[0]} -> {backlog[-1]}, drained {drain_s:.1f} s after restart"
    )


@pytest.fixture
async def own_valkey(tmp_path: Path) -> AsyncIterator[EmbeddedValkey]:
    server = EmbeddedValkey(tmp_path / "valkey")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.parametrize("how", ["restart", "crash", "crash-waitaof"])
async def test_valkey_restart_under_load(
    how: str,
    settings: Settings,
    db: psycopg.AsyncConnection[Any],
    own_valkey: EmbeddedValkey,
) -> None:
    settings = settings.replace(redis_url=own_valkey.url, wait_aof=how == "crash-waitaof")
    workers = Workers(settings)
    async with running_gateway(settings) as gateway, api_client(settings) as api:
        workers.start()
        quiz = await create_quiz(api)
        players = [await join(api, quiz["id"], f"V{i}") for i in range(40)]
        async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
            await ws.recv()
            load = Load(api, quiz, players)
            running = asyncio.create_task(load.run(per_second=100))
            await asyncio.sleep(1.5)
            if how == "restart":
                own_valkey.stop()
            else:
                own_valkey.kill()
            await asyncio.sleep(2)
            own_valkey.start()
            await running
            # The gateway came back by itself: a snapshot arrives again.
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert snapshot["quiz_id"] == quiz["id"]
        await asyncio.sleep(2)  # let the workers reconnect and drain
        rows_at = {e for _, e, _ in load.accepted}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            async with await psycopg.AsyncConnection.connect(settings.database_url) as c:
                cursor = await c.execute(
                    "SELECT event_id FROM user_answer WHERE quiz_id = %s", (quiz["id"],)
                )
                in_pg = {r[0] for r in await cursor.fetchall()}
            if rows_at <= in_pg:
                break
            await asyncio.sleep(0.5)
        await workers.close()
    refused = [r for r in load.refused if r.status_code != 503]
    assert refused == []
    assert load.statuses.get(500, 0) == 0
    assert load.statuses.get(503, 0) > 0  # Valkey was really away
    for response in load.refused:
        assert response.headers["Retry-After"]
        assert response.json()["error"]["code"] == "unavailable"
    lost = len(rows_at - in_pg)
    print(
        f"\nValkey {how}: {len(load.accepted)} accepted, {load.statuses.get(503, 0)} got 503, "
        f"{lost} acknowledged answers lost"
    )
    if how == "crash":
        assert lost <= 150  # AOF everysec: at most about 1 s of writes (100 answers/s here)
    else:
        assert lost == 0
    if lost == 0:
        result = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz["id"]))
        assert result.returncode == 0, result.stdout


async def test_a_full_valkey_gets_503_and_the_retry_after_room_is_made_counts_once(
    settings: Settings, db: psycopg.AsyncConnection[Any], own_valkey: EmbeddedValkey
) -> None:
    settings = settings.replace(redis_url=own_valkey.url)
    async with (
        api_client(settings) as api,
        aioredis.Redis.from_url(own_valkey.url) as admin,
    ):
        quiz = await create_quiz(api)
        player = await join(api, quiz["id"], "Before")
        question = quiz["questions"][0]
        body = {"question_id": question["id"], "answer": question["answer"]}
        auth = {"Authorization": f"Bearer {player['token']}"}
        await admin.config_set("maxmemory", "1")  # full: Valkey refuses every write
        try:
            refused = [
                await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": "During"}),
                await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=auth),
            ]
        finally:
            await admin.config_set("maxmemory", "0")
        for response in refused:
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            assert response.headers["Retry-After"]
        keys = Keys(settings.key_prefix)
        answers = keys.stream(quiz["partition"], ANSWERS)
        assert await admin.xlen(answers) == 0
        assert await admin.xlen(keys.stream(quiz["partition"], JOINS)) == 1  # "Before" only
        retried = await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=auth)
        assert retried.status_code == 202, retried.text
        again = await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=auth)
        assert again.status_code == 409
        assert await admin.xlen(answers) == 1


async def test_workers_wait_out_a_full_valkey_without_dead_lettering(
    settings: Settings, db: psycopg.AsyncConnection[Any], own_valkey: EmbeddedValkey
) -> None:
    settings = settings.replace(redis_url=own_valkey.url)
    keys = Keys(settings.key_prefix)
    workers = Workers(settings)
    async with (
        api_client(settings) as api,
        aioredis.Redis.from_url(own_valkey.url) as admin,
    ):
        quiz = await create_quiz(api)
        p, q = quiz["partition"], quiz["id"]
        player = await join(api, q, "Patient")
        accepted = [await answer(api, quiz, player, i) for i in range(3)]
        await admin.config_set("maxmemory", "1")
        try:
            workers.start("answers-redis")
            # Several reclaim intervals: a refused batch is retried, never dead-lettered.
            await asyncio.sleep(settings.reclaim_idle_ms / 1000 * 5)
            assert await admin.zscore(keys.quiz(p, q).leaderboard, player["player_id"]) is None
        finally:
            await admin.config_set("maxmemory", "0")
        total = sum(a["points"] for a in accepted)

        async def applied() -> bool:
            return await admin.zscore(keys.quiz(p, q).leaderboard, player["player_id"]) == total

        await eventually(applied, within=10)
        await workers.close()
        assert await admin.xlen(keys.dead(p)) == 0


@pytest.mark.parametrize(
    ("setting", "value"),
    [("appendfsync", "no"), ("appendonly", "no")],  # never fsynced; no AOF at all
)
async def test_with_waitaof_an_unconfirmed_fsync_is_a_503_never_a_202(
    settings: Settings,
    db: psycopg.AsyncConnection[Any],
    own_valkey: EmbeddedValkey,
    setting: str,
    value: str,
) -> None:
    settings = settings.replace(redis_url=own_valkey.url, wait_aof=True)
    async with (
        api_client(settings) as api,
        aioredis.Redis.from_url(own_valkey.url) as admin,
    ):
        quiz = await create_quiz(api)
        player = await join(api, quiz["id"], "Durable")
        await answer(api, quiz, player, 0)  # confirmed on disk: 202
        await admin.config_set(setting, value)
        question = quiz["questions"][1]
        body = {"question_id": question["id"], "answer": question["answer"]}
        auth = {"Authorization": f"Bearer {player['token']}"}
        unconfirmed = await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=auth)
        assert unconfirmed.status_code == 503, unconfirmed.text
        assert unconfirmed.json()["error"]["code"] == "unavailable"
        assert unconfirmed.headers["Retry-After"]


async def test_a_client_arriving_while_valkey_is_away_is_told_to_come_back(
    settings: Settings,
    db: psycopg.AsyncConnection[Any],
    own_valkey: EmbeddedValkey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings.replace(redis_url=own_valkey.url)
    async with running_gateway(settings) as gateway:
        async with api_client(settings) as api:
            quiz = await create_quiz(api)
        async with connect(gateway.url(quiz["id"], ADMIN)) as first:
            await first.recv()  # the gateway knows the quiz now, from memory
            own_valkey.stop()
            with caplog.at_level(logging.WARNING):
                async with connect(gateway.url(quiz["id"], ADMIN)) as second:
                    with pytest.raises(ConnectionClosed) as closed:
                        await asyncio.wait_for(second.recv(), 10)
            own_valkey.start()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_standings_resume_with_the_next_snapshot_after_valkey_was_away(
    settings: Settings,
    db: psycopg.AsyncConnection[Any],
    own_valkey: EmbeddedValkey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A player's standing stops while Valkey is gone, with no error storm, and comes
    again with the next snapshot once it is back."""
    # The workers' reclaim as in production: the test settings' 400 ms would take the
    # leaderboard group's pending notices over, again and again, while Valkey is away.
    settings = settings.replace(redis_url=own_valkey.url, reclaim_idle_ms=30_000, max_deliveries=5)
    workers = Workers(settings)
    async with running_gateway(settings) as gateway, api_client(settings) as api:
        workers.start()
        quiz = await create_quiz(api)
        player = await join(api, quiz["id"], "Ann")
        async with watching(gateway.url(quiz["id"], player["token"])) as mine:

            def score() -> int:
                standings = [m for m in mine.log if m["type"] == "standing"]
                return int(standings[-1]["score"]) if standings else -1

            async def scored(points: int) -> bool:
                return score() == points

            await answer(api, quiz, player, 0)
            await eventually(lambda: scored(100), within=10)
            with caplog.at_level(logging.WARNING):
                own_valkey.stop()
                await asyncio.sleep(2)
                own_valkey.start()
                await eventually(lambda: answered(api, quiz, player, 1), within=20)
                await eventually(lambda: scored(200), within=20)
        await workers.close()
    gateway = [r for r in caplog.records if r.name.startswith("quizboard.gateway")]
    assert [r.getMessage() for r in gateway if r.levelno >= logging.ERROR] == []
    standing_logs = [r for r in gateway if "standings" in r.getMessage()]
    assert len(standing_logs) <= 10  # one line per failed run at most, not a storm


async def answered(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], index: int
) -> bool:
    """Answer question ``index`` once Valkey takes it: 202, or 409 for a retry of one
    that got through."""
    question = quiz["questions"][index]
    reply = await api.post(
        f"/quizzes/{quiz['id']}/answers",
        json={"question_id": question["id"], "answer": question["answer"]},
        headers={"Authorization": f"Bearer {player['token']}"},
    )
    return reply.status_code in (202, 409)
