"""A resharding moves a quiz's slot to another master while its players answer.

The keys move with MIGRATE, as ``valkey-cli --cluster reshard`` moves them, and
the slot stays half moved for 1.5 s, as a large one would. Meanwhile the API
follows ASK and MOVED (a TRYAGAIN is a 503 that the player retries), the
workers retry the calls redis-py gives up redirecting and follow the stream to
its new master, and the gateway, whose channel the old master drops with a
``sunsubscribe`` nobody asked for, subscribes again on the new one. Afterwards
every 202 is one row with its points, the board agrees with PostgreSQL, and the
watcher that stayed connected throughout sees the final board.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from quizboard.core.keys import ANSWERS, Keys
from quizboard.local.cluster import EmbeddedCluster
from quizboard.settings import Settings
from tests.support.processes import quizboard
from tests.support.quizzes import ADMIN
from tests.support.resharding import master_of, move_slot, on_node
from tests.support.stack import Gateway, Workers
from tests.support.steps import Tally, answer_retrying, create_quiz, eventually, join
from tests.support.watch import watching

PLAYERS = 30

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.parametrize("backend", ["cluster"], indirect=True),
    pytest.mark.parametrize("settings", [{"player_rate": 0, "address_rate": 0}], indirect=True),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A cluster of this module's own: the test moves one of its slots for good."""
    with EmbeddedCluster(tmp_path_factory.mktemp("resharded"), replicas=0) as nodes:
        yield nodes


@pytest.fixture
def cluster_url(cluster: EmbeddedCluster) -> str:
    return cluster.url


async def play(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], tally: Tally
) -> None:
    for question in quiz["questions"]:
        await answer_retrying(api, quiz, player, question, tally)
        await asyncio.sleep(0.05)


async def stored(db: psycopg.AsyncConnection[Any], quiz_id: int) -> dict[tuple[str, int], int]:
    cursor = await db.execute(
        "SELECT player_id::text, question_id, points FROM user_answer WHERE quiz_id = %s",
        (quiz_id,),
    )
    return {(p, q): points for p, q, points in await cursor.fetchall()}


async def test_a_quiz_whose_slot_moves_mid_load_loses_nothing_and_its_board_goes_on(
    api: httpx.AsyncClient,
    workers: Workers,
    gateway: Gateway,
    cluster: EmbeddedCluster,
    settings: Settings,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    stream = Keys(settings.key_prefix).stream(quiz["partition"], ANSWERS)
    source = master_of(cluster, stream)
    target = next(port for port in cluster.nodes if port != source)
    slot = int(await on_node(source, "CLUSTER", "KEYSLOT", stream))
    players = [await join(api, quiz["id"], f"R{i}") for i in range(PLAYERS)]
    tally = Tally()
    async with watching(gateway.url(quiz["id"], ADMIN)) as watcher:
        await watcher.next("leaderboard")
        load = [asyncio.create_task(play(api, quiz, p, tally)) for p in players]

        async def under_way() -> bool:
            return len(tally.accepted) >= PLAYERS

        await eventually(under_way, within=30)
        moved = await move_slot(slot, source, target, list(cluster.nodes), linger_s=1.5)
        await asyncio.wait_for(asyncio.gather(*load), 60)
        assert master_of(cluster, stream) == target
        assert moved > 0

        async def drained() -> bool:
            return len(await stored(db, quiz["id"])) == len(tally.accepted) + tally.repeats

        await eventually(drained, within=20)
        rows = await stored(db, quiz["id"])
        assert {k: rows[k] for k in tally.accepted} == tally.accepted
        totals: dict[str, int] = {}
        for (player, _), points in rows.items():
            totals[player] = totals.get(player, 0) + points

        async def final_board_seen() -> bool:
            boards = [m for m in watcher.log if m["type"] == "leaderboard"]
            shown = {e["player_id"]: e["score"] for e in boards[-1]["entries"]}
            return len(shown) == settings.top_n and all(totals[p] == s for p, s in shown.items())

        await eventually(final_board_seen, within=10)
        async with httpx.AsyncClient() as client:
            metrics = (await client.get(f"http://127.0.0.1:{gateway.port}/metrics")).text
        assert "quizboard_gateway_feed_losses_total 1.0" in metrics  # the slot moved once
    reconcile = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz["id"]))
    assert reconcile.returncode == 0, reconcile.stdout
    print(
        f"\nresharding: {moved} keys moved, {len(tally.accepted)} accepted, "
        f"{tally.unavailable} 503s retried, {tally.repeats} retries found their first copy"
    )
