"""A partition inside a cluster: the API cut off from one master of three, each master
in a namespace of its own (quizboard/local/netns.py). Only the quizzes whose partitions
live on that master may fail (with 503); a quiz on another master gets its 202s; and
on the heal the history shows no acknowledged answer lost and none stored twice.

The quiz on another master is not held up either: each master has its own lane in
the intake, so no answer there waits for the cut master's calls to time out (when
one flusher served every master, they waited up to 5.65 s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import psycopg
import pytest

from quizboard.local.netns import Network, Node, form_cluster, network, valkey
from quizboard.settings import Settings
from quizboard.store.connections import REDIS_TIMEOUT
from tests.support.clusters import emptied_cluster, master_of
from tests.support.history import Sent, check, send, stored_answers
from tests.support.stack import Workers
from tests.support.steps import create_quiz, eventually, join

SEND_EVERY_S = 0.04


@pytest.fixture(scope="module")
def cluster_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, list[Node]]]:
    base = tmp_path_factory.mktemp("partitioned-cluster")
    with network() as net, ExitStack() as servers:
        nodes = [net.add(f"m{n}") for n in range(3)]
        for node in nodes:
            data = base / node.name
            data.mkdir()
            servers.enter_context(valkey(node, data, "--cluster-enabled", "yes",
                                         "--cluster-config-file", "nodes.conf",
                                         "--cluster-node-timeout", "2000",
                                         "--appendonly", "yes"))  # fmt: skip
        form_cluster(nodes)
        yield net, nodes


@pytest.fixture
def settings(settings: Settings, cluster_nodes: tuple[Network, list[Node]]) -> Settings:
    _, nodes = cluster_nodes
    return settings.replace(
        redis_url=f"redis://{nodes[0].address}:6379/0", redis_cluster=True, partitions=6
    )


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Any]:  # the cluster's client, emptied
    async with emptied_cluster(settings) as cluster:
        yield cluster


async def test_an_api_cut_off_from_one_master_fails_only_the_quizzes_there(
    api: httpx.AsyncClient,
    workers: Workers,
    db: psycopg.AsyncConnection[Any],
    settings: Settings,
    cluster_nodes: tuple[Network, list[Node]],
) -> None:
    net, nodes = cluster_nodes
    workers.start()
    cut = nodes[1]
    quizzes: dict[str, dict[str, Any]] = {}
    while len(quizzes) < 2:  # one quiz on the master to be cut off, one elsewhere
        quiz = await create_quiz(api)
        side = "cut" if master_of(settings, quiz["partition"]) == cut.address else "other"
        quizzes.setdefault(side, quiz)
    players = {side: [await join(api, q["id"], f"{side}{i}") for i in range(10)]
               for side, q in quizzes.items()}  # fmt: skip
    history: dict[str, list[Sent]] = {"cut": [], "other": []}
    plan = [(side, p, q) for q in range(10) for side in ("cut", "other") for p in players[side]]
    loop = asyncio.get_running_loop()
    start = loop.time()
    sends = []
    for n, (side, player, index) in enumerate(plan):
        await asyncio.sleep(max(0.0, start + n * SEND_EVERY_S - loop.time()))
        if n == 30:  # a cut of 6.4 s: longer than the API's 5 s Redis timeout
            net.cut("root", cut.name)
        if n == 190:
            net.heal()
        quiz = quizzes[side]
        sends.append(asyncio.create_task(
            send(api, quiz, player, quiz["questions"][index], history[side])
        ))  # fmt: skip
    await asyncio.gather(*sends)
    seen = {side: Counter(s.status for s in sent) for side, sent in history.items()}
    slowest = {side: max(s.took for s in sent) for side, sent in history.items()}
    print(f"statuses {seen}, slowest (s) {slowest}")
    assert set(seen["cut"]) | set(seen["other"]) <= {202, 503}, seen
    assert seen["other"] == Counter({202: len(history["other"])}), seen  # unaffected
    assert slowest["other"] < REDIS_TIMEOUT  # and never waiting for the cut master

    for side, quiz in quizzes.items():
        accepted = seen[side][202]

        async def applied(quiz: dict[str, Any] = quiz, accepted: int = accepted) -> bool:
            cursor = await db.execute(
                "SELECT count(*) FROM user_answer WHERE quiz_id = %s", (quiz["id"],)
            )
            row = await cursor.fetchone()
            return row is not None and row[0] >= accepted

        await eventually(applied, within=30)
        found = check(history[side], await stored_answers(db, quiz["id"]))
        print(side, found)
        assert found.get("acknowledged but lost", 0) == 0, found
        assert found.get("stored twice", 0) == 0, found
