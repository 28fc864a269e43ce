"""A master dies under load: its replica takes over, and nothing accepted is lost.

A cluster of 3 masters and 3 replicas, a short node timeout, and answers
flowing into a quiz. The master that holds the quiz's partition is SIGKILLed
mid-load. With QUIZBOARD_WAIT_REPLICAS=1 a 202 means the event reached a
replica, so once the replica is promoted (and, for WAIT to be met again, the dead node has come
back as its replica) every 202 is one row in user_answer
and counts once on the board, and reconcile is clean. Without WAIT, a 202
acknowledged by the master alone may be lost with it: the run measures how
many (printed; see BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from redis.asyncio.cluster import RedisCluster

from quizboard.core.keys import ANSWERS, Keys
from quizboard.local.cluster import EmbeddedCluster
from quizboard.settings import Settings
from tests.support.clusters import emptied_cluster
from tests.support.processes import quizboard
from tests.support.resharding import master_of
from tests.support.stack import Workers, api_client
from tests.support.steps import Tally, answer, answer_retrying, create_quiz, eventually, join

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

PLAYERS = 40


@dataclass
class Run(Tally):
    """What the clients saw, and when."""

    killed_at: float = 0.0
    promoted_s: float = 0.0  # from the kill to the replica serving the partition
    recovered_at: float = 0.0  # the first 202 after the kill


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[EmbeddedCluster]:
    with EmbeddedCluster(tmp_path / "cluster", node_timeout_ms=1000) as nodes:
        yield nodes


async def play(api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], run: Run,
               kill_after: asyncio.Event) -> None:  # fmt: skip
    """Answer every question, retrying a 503 until it is a 202 or a 409."""
    for question in quiz["questions"]:
        accepted = await answer_retrying(api, quiz, player, question, run)
        if accepted and run.killed_at and not run.recovered_at:
            run.recovered_at = time.monotonic()
        if len(run.accepted) >= PLAYERS * 2:
            kill_after.set()
        await asyncio.sleep(0.05)


async def stored(database_url: str, quiz_id: int) -> dict[tuple[str, int], int]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cursor = await conn.execute(
            "SELECT player_id::text, question_id, points FROM user_answer WHERE quiz_id = %s",
            (quiz_id,),
        )
        return {(p, q): points for p, q, points in await cursor.fetchall()}


async def board_scores(
    cluster: EmbeddedCluster, keys: Keys, quiz: dict[str, Any]
) -> dict[str, int]:
    """Each player's score on the quiz's board."""
    board = RedisCluster.from_url(cluster.url)
    try:
        scores = await board.zrange(keys.quiz(quiz["partition"], quiz["id"]).leaderboard, 0, -1,
                                    withscores=True)  # fmt: skip
    finally:
        await board.aclose()
    return {member.decode(): int(score) for member, score in scores}


def player_totals(rows: dict[tuple[str, int], int]) -> dict[str, int]:
    """Each player's points in PostgreSQL."""
    totals: dict[str, int] = {}
    for (player, _), points in rows.items():
        totals[player] = totals.get(player, 0) + points
    return totals


async def failover_run(settings: Settings, cluster: EmbeddedCluster, wait: int) -> dict[str, Any]:
    """Load, kill the busy master, let the replica take over; what was lost."""
    settings = settings.replace(
        redis_url=cluster.url, redis_cluster=True, partitions=6, wait_replicas=wait,
        player_rate=0, address_rate=0,
    )  # fmt: skip
    keys = Keys(settings.key_prefix)
    workers = Workers(settings)
    run = Run()
    async with api_client(settings) as api:
        workers.start()
        quiz = await create_quiz(api)
        master = master_of(cluster, keys.stream(quiz["partition"], ANSWERS))
        players = [await join(api, quiz["id"], f"F{i}") for i in range(PLAYERS)]
        kill_after = asyncio.Event()
        load = [asyncio.create_task(play(api, quiz, p, run, kill_after)) for p in players]
        await asyncio.wait_for(kill_after.wait(), 30)
        in_flight = len(run.accepted)
        cluster.nodes[master].kill()
        run.killed_at = time.monotonic()
        stream = keys.stream(quiz["partition"], ANSWERS)

        async def promoted() -> bool:
            return await asyncio.to_thread(master_of, cluster, stream) != master

        await eventually(promoted, within=30)
        run.promoted_s = round(time.monotonic() - run.killed_at, 2)
        # The promoted replica has no replica of its own until the dead node comes back (as
        # an operator or a supervisor would bring it): until then WAIT 1 cannot be met.
        await asyncio.to_thread(cluster.nodes[master].start)
        await asyncio.to_thread(cluster.wait_ok)
        await asyncio.wait_for(asyncio.gather(*load), 120)

        async def drained() -> bool:
            return len(await stored(settings.database_url or "", quiz["id"])) >= len(run.accepted)

        async def board_agrees() -> bool:  # answers-redis may trail answers-db
            rows = await stored(settings.database_url or "", quiz["id"])
            return await board_scores(cluster, keys, quiz) == player_totals(rows)

        with contextlib.suppress(AssertionError):  # without WAIT some never come: counted below
            await eventually(drained, within=30)
            await eventually(board_agrees, within=30)
        await workers.close()
    rows = await stored(settings.database_url or "", quiz["id"])
    lost = [k for k in run.accepted if k not in rows]
    wrong = [k for k, points in run.accepted.items() if k in rows and rows[k] != points]
    scores = await board_scores(cluster, keys, quiz)
    totals = player_totals(rows)
    reconcile = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz["id"]))
    figures = {
        "wait_replicas": wait,
        "accepted_before_kill": in_flight,
        "accepted": len(run.accepted),
        "rows": len(rows),
        "lost": len(lost),
        "wrong_points": len(wrong),
        "unavailable_503": run.unavailable,
        "retry_found_first_copy_409": run.repeats,
        "promoted_s": run.promoted_s,
        "recovered_s": round(run.recovered_at - run.killed_at, 2) if run.recovered_at else None,
        "board_matches_postgres": scores == totals,
        "reconcile_exit": reconcile.returncode,
    }
    print(f"\nfailover: {figures}\n{reconcile.stdout}")
    return figures


async def test_with_wait_a_killed_master_loses_no_accepted_answer(
    settings: Settings, cluster: EmbeddedCluster, db: Any
) -> None:
    figures = await failover_run(settings, cluster, wait=1)
    assert figures["lost"] == 0, figures
    assert figures["wrong_points"] == 0, figures
    assert figures["rows"] == figures["accepted"] + figures["retry_found_first_copy_409"], figures
    assert figures["board_matches_postgres"], figures
    assert figures["reconcile_exit"] == 0, figures
    assert figures["recovered_s"] is not None, figures


async def test_without_wait_what_survives_still_agrees(
    settings: Settings, cluster: EmbeddedCluster, db: Any
) -> None:
    # A 202 acknowledged by the master alone may die with it: the run counts them. What
    # survives must still agree: each row once, with its points, and the board with it.
    figures = await failover_run(settings, cluster, wait=0)
    assert figures["wrong_points"] == 0, figures
    assert figures["board_matches_postgres"], figures
    assert figures["recovered_s"] is not None, figures


@pytest.fixture(scope="module")
def demotable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """One cluster for both runs below: each demotes whichever master then holds its
    quiz's partition."""
    with EmbeddedCluster(tmp_path_factory.mktemp("demotable"), node_timeout_ms=1000) as nodes:
        yield nodes


@pytest.mark.parametrize("wait", [1, 0], ids=["wait-1", "no-wait"])
async def test_a_master_turned_replica_unblocks_its_readers_and_the_workers_go_on(
    settings: Settings, demotable: EmbeddedCluster, db: Any, wait: int
) -> None:
    """A manual failover (or a master that rejoins after a partition as a replica)
    ends every read blocked on the old master with ``-UNBLOCKED``: an error reply,
    yet no bad input. The workers must take it as a server going away, not crash."""
    settings = settings.replace(
        redis_url=demotable.url, redis_cluster=True, partitions=6, wait_replicas=wait
    )
    keys = Keys(settings.key_prefix)
    async with emptied_cluster(settings):  # the other case's quiz may have had this id
        pass
    workers = Workers(settings)
    async with api_client(settings) as api:
        workers.start()
        quiz = await create_quiz(api)
        stream = keys.stream(quiz["partition"], ANSWERS)
        player = await join(api, quiz["id"], "Demoted")
        await answer(api, quiz, player, 0)
        await eventually(lambda: rows_of(settings, quiz["id"], 1), within=30)
        master = master_of(demotable, stream)
        replica = replica_of(demotable, master)
        await asyncio.sleep(0.5)  # idle: every worker blocked on its read
        await asyncio.to_thread(on_port, replica, "CLUSTER", "FAILOVER")

        async def switched() -> bool:
            return await asyncio.to_thread(master_of, demotable, stream) == replica

        await eventually(switched, within=30)
        await asyncio.to_thread(demotable.wait_ok)
        assert not [name for name, task in workers.tasks.items() if task.done()]
        assert await answer_retrying(api, quiz, player, quiz["questions"][1], Tally())
        await eventually(lambda: rows_of(settings, quiz["id"], 2), within=30)
        assert not [name for name, task in workers.tasks.items() if task.done()]
        await workers.close()


async def rows_of(settings: Settings, quiz_id: int, expected: int) -> bool:
    return len(await stored(settings.database_url or "", quiz_id)) >= expected


def on_port(port: int, *command: Any) -> Any:
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        return client.execute_command(*command)
    finally:
        client.close()


def replica_of(cluster: EmbeddedCluster, master: int) -> int:
    """The port of a replica of the master on ``master``."""
    for port in cluster.nodes:
        info = on_port(port, "INFO", "replication")
        if info.get("role") == "slave" and int(info.get("master_port", 0)) == master:
            return port
    raise AssertionError(f"the master on {master} has no replica")
