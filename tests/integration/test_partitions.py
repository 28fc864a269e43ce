"""A real partition between quizboard and its Valkey, under an open-loop answer load:
packets dropped on a network of namespaces (quizboard/local/netns.py), not a process
killed. A history of every request is checked against PostgreSQL once the partition
has healed: every answer acknowledged (202) is there exactly once, with its points;
nothing is stored twice; a refused answer (503) may be stored, as its retry gets 409.

What it shows: the API's Redis calls time out after 5 s, so a cut of 8 s turns the
batch in flight into 503s; the requests queued behind it wait, and go through when
the link heals (TCP resends what was dropped): the API answers 202 or 503, never 500.
"""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from quizboard.local.netns import Network, network, valkey
from quizboard.settings import Settings
from tests.support.history import Sent, check, send, stored_answers
from tests.support.stack import Workers
from tests.support.steps import create_quiz, eventually, join

SEND_EVERY_S = 0.04  # 25 answers a second, open loop


@pytest.fixture(scope="module")
def valkey_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, str]]:
    """A Valkey (AOF everysec) alone in a namespace; the test's network, and its URL."""
    data = tmp_path_factory.mktemp("partitioned-valkey")
    with network() as net:
        node = net.add("valkey")
        options = ["--appendonly", "yes", "--appendfsync", "everysec"]
        with valkey(node, data, *options) as server:
            yield net, server.url


@pytest.fixture
def settings(settings: Settings, valkey_node: tuple[Network, str]) -> Settings:
    return settings.replace(redis_url=valkey_node[1])


def reachable(host: str) -> bool:
    """Whether a new connection to Valkey on ``host`` opens within a second."""
    try:
        socket.create_connection((host, 6379), timeout=1).close()
    except OSError:
        return False
    return True


async def test_an_api_cut_off_from_valkey_answers_503_and_loses_no_acknowledged_answer(
    api: httpx.AsyncClient,
    workers: Workers,
    db: psycopg.AsyncConnection[Any],
    valkey_node: tuple[Network, str],
) -> None:
    net, url = valkey_node
    address = url.split("//")[1].split(":")[0]
    workers.start()
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"P{i}") for i in range(30)]
    history: list[Sent] = []
    sends: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    plan = [(p, q) for q in quiz["questions"] for p in players]  # 300 answers over 6 s
    for n, (player, question) in enumerate(plan):
        await asyncio.sleep(max(0.0, start + n * SEND_EVERY_S - loop.time()))
        if n == 50:  # the API and the workers lose Valkey: its packets drop
            net.cut("root", "valkey")
            probe = asyncio.create_task(asyncio.to_thread(reachable, address))
        if n == 250:
            net.heal()
        sends.append(asyncio.create_task(send(api, quiz, player, question, history)))
    await asyncio.gather(*sends)
    assert not await probe  # the cut was real: a new connection got nowhere
    statuses = Counter(sent.status for sent in history)
    assert set(statuses) <= {202, 503}, statuses  # no 500, no hang
    assert statuses[202] > 0

    accepted = statuses[202]

    async def applied() -> bool:
        cursor = await db.execute("SELECT count(*) FROM user_answer WHERE quiz_id = %s",
                                  (quiz["id"],))  # fmt: skip
        row = await cursor.fetchone()
        return row is not None and row[0] >= accepted

    await eventually(applied, within=30)
    found = check(history, await stored_answers(db, quiz["id"]))
    assert found.get("acknowledged but lost", 0) == 0, found
    assert found.get("acknowledged with other points", 0) == 0, found
    assert found.get("stored twice", 0) == 0, found
