"""Network faults in a replicated cluster, the way replicated stores are tested: 3
masters and 3 replicas, each Valkey in a namespace of its own, the API, the workers
and the gateway as real processes in namespaces of their own, and partitions made by
dropping packets between them (quizboard/local/netns.py). Each scenario runs under
an open-loop answer load, with ``QUIZBOARD_WAIT_REPLICAS=1`` and without, and checks
the history of every request against PostgreSQL after the heal:

1. a master and the API cut off from the rest (the replica takes over);
2. a master cut off from its replica only (no failover; WAIT cannot be met);
3. (tests/integration/test_cluster_partition.py: the API cut off from one master);
4. the gateway cut off from the master that publishes its room's snapshots;
5. a flapping link: scenario 1's cut made and healed every 2 s for 16 s (a minute
   with ``QUIZBOARD_FLAP_SECONDS=60``);
6. a master paused (SIGSTOP) past the node timeout, then resumed.

With WAIT 1 the claim holds in every scenario: each 202 is in PostgreSQL exactly
once, with its points. Without it, a master that is cut off from its replica, or
paused, and then replaced by that replica, takes the answers it acknowledged alone
with it: the test counts them, and README.md says why WAIT is there.
In every run nothing is stored twice and no answer has other points than its 202
said. With WAIT 1 the board also equals PostgreSQL (reconcile is clean): the workers
deliver only entries that WAIT confirms on a replica. Without it, a worker may read
from the old master answers that the cluster then forgets; they are in PostgreSQL but
not on the board, and the test counts them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
import redis as redis_py
import websockets

from quizboard.local.netns import (
    Network,
    Node,
    Valkey,
    cluster_roles,
    form_cluster,
    network,
    valkey,
    wait_until_healthy,
)
from quizboard.local.relay import Relay
from quizboard.settings import Settings
from quizboard.streams.groups import GROUPS
from tests.support.clusters import emptied_cluster, master_of
from tests.support.history import Sent, check, send, stored_answers
from tests.support.processes import quizboard, quizboard_argv, quizboard_env, terminate
from tests.support.steps import create_quiz, eventually, join

pytestmark = pytest.mark.timeout(300)  # a scenario: 10 s of load, then up to 90 s to settle

API_PORT = 8000
GATEWAY_PORT = 8001
RELAY_PORT = 15432
SEND_EVERY_S = 0.05  # 20 answers a second, open loop
PLAYERS = 20  # 20 players x 10 questions: 200 answers over 10 s
CUT_AT = 20  # the fault lasts 8 s, from the 20th answer to the 20th before the last
FLAP_S = float(os.environ.get("QUIZBOARD_FLAP_SECONDS", "16"))  # 60: the long variant
NODE_TIMEOUT_MS = 2000


@dataclass
class Faulty:
    """The test's network, its Valkeys by node name, and the nodes of the processes."""

    net: Network
    servers: dict[str, Valkey]
    api: Node
    workers: Node
    gateway: Node

    @property
    def valkeys(self) -> list[Node]:
        return [self.net.nodes[name] for name in self.servers]

    def node_at(self, address: str) -> Node:
        return next(node for node in self.valkeys if node.address == address)


@pytest.fixture(scope="module")
def faulty(
    tmp_path_factory: pytest.TempPathFactory, server_urls: tuple[str, str]
) -> Iterator[Faulty]:
    base = tmp_path_factory.mktemp("faulty-cluster")
    postgres = urlsplit(server_urls[1])
    with network() as net, ExitStack() as stack:
        nodes = [net.add(f"v{n}") for n in range(6)]
        servers = {}
        for node in nodes:
            data = base / node.name
            data.mkdir()
            servers[node.name] = stack.enter_context(valkey(
                node, data, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--appendonly", "yes",
            ))  # fmt: skip
        form_cluster(nodes, replicas=1)
        # The processes reach the session's PostgreSQL through a relay on the root
        # namespace's address.
        stack.enter_context(Relay((net.root_address, RELAY_PORT),
                                  (postgres.hostname or "", postgres.port or 5432)))  # fmt: skip
        yield Faulty(net, servers, net.add("api"), net.add("workers"), net.add("gateway"))


@pytest.fixture
def settings(settings: Settings, faulty: Faulty) -> Settings:
    wait_until_healthy(faulty.valkeys, replicas=1)  # a scenario before may have moved roles
    master = next(iter(cluster_roles(faulty.valkeys)))
    return settings.replace(redis_url=f"redis://{master}:6379/0", redis_cluster=True, partitions=6)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Any]:  # the cluster's client, emptied
    async with emptied_cluster(settings) as cluster:
        yield cluster


@pytest.fixture(params=[1, 0], ids=["wait-1", "no-wait"])
def wait(request: pytest.FixtureRequest) -> int:
    """``QUIZBOARD_WAIT_REPLICAS``: each scenario runs with ``WAIT 1`` and without."""
    return int(request.param)


@pytest.fixture
async def system(
    wait: int,
    settings: Settings,
    faulty: Faulty,
    redis: Any,
    db: psycopg.AsyncConnection[Any],
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The API and a worker of each group, as processes in their namespaces; a client
    of the API, from the test's namespace."""
    database = settings.database_url or ""
    relayed = database.replace(urlsplit(database).netloc.split("@")[-1],
                               f"{faulty.net.root_address}:{RELAY_PORT}")  # fmt: skip
    env = quizboard_env(settings.replace(database_url=relayed, wait_replicas=wait),
                        QUIZBOARD_LOG_LEVEL="INFO")  # fmt: skip
    logs = tmp_path / "processes.log"
    log = logs.open("ab")
    api_argv = quizboard_argv("api", "--host", faulty.api.address, "--port", str(API_PORT))
    started = [faulty.api.spawn(api_argv, env=env, stderr=log)]
    gateway_argv = quizboard_argv("gateway", "--host", faulty.gateway.address,
                                  "--port", str(GATEWAY_PORT))  # fmt: skip
    started.append(faulty.gateway.spawn(gateway_argv, env=env, stderr=log))
    for group in GROUPS:
        argv = quizboard_argv("worker", "--group", group, "--consumer", "faults")
        started.append(faulty.workers.spawn(argv, env=env, stderr=log))
    log.close()  # each process holds its own copy
    base = f"http://{faulty.api.address}:{API_PORT}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the API did not start"
                await asyncio.sleep(0.1)
            yield client
    finally:
        faulty.net.heal()
        for process in started:  # what each waits on, in the log, should one be stuck
            process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.5)
        for process in started:  # all at once: each finishes its batch meanwhile
            process.send_signal(signal.SIGTERM)
        for process in started:
            terminate(process, timeout=20)
        print(f"the processes' logs: {logs}")


async def quiz_on(api: httpx.AsyncClient, settings: Settings, address: str) -> dict[str, Any]:
    """A new quiz whose partition lives on the master at ``address``."""
    while True:
        quiz = await create_quiz(api)
        if master_of(settings, quiz["partition"]) == address:
            return quiz


async def run_load(
    api: httpx.AsyncClient, quiz: dict[str, Any], fault: Callable[[], None],
    heal: Callable[[], None], every: float = SEND_EVERY_S, players: int = PLAYERS,
) -> list[Sent]:  # fmt: skip
    """Answer every question of ``quiz`` for each of ``players``, open loop, one answer
    ``every`` seconds; ``fault`` at the :data:`CUT_AT`-th answer, ``heal`` as many
    answers before the last."""
    joined = [await join(api, quiz["id"], f"P{i}") for i in range(players)]
    history: list[Sent] = []
    sends = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    plan = [(p, q) for q in quiz["questions"] for p in joined]
    heal_at = len(plan) - CUT_AT
    for n, (player, question) in enumerate(plan):
        await asyncio.sleep(max(0.0, start + n * every - loop.time()))
        if n == CUT_AT:
            await asyncio.to_thread(fault)
        if n == heal_at:
            await asyncio.to_thread(heal)
        sends.append(asyncio.create_task(send(api, quiz, player, question, history)))
    await asyncio.gather(*sends)
    return history


def drained(settings: Settings) -> bool:
    """Whether no group has an entry read and not acked (a stream's lag may stay
    unknown, or stale, after a failover: the 3 quiet seconds stand for it)."""
    cluster = redis_py.RedisCluster.from_url(settings.redis_url or "", socket_timeout=2)
    try:
        for node in cluster.get_primaries():  # type: ignore[no-untyped-call]
            client = redis_py.Redis(host=node.host, port=node.port, socket_timeout=2)
            with client:
                for stream in client.scan_iter(_type="STREAM"):
                    for group in client.xinfo_groups(stream):
                        if group["pending"]:
                            return False
    except redis_py.RedisError:
        return False
    finally:
        cluster.close()
    return True


async def settled(db: psycopg.AsyncConnection[Any], settings: Settings, quiz_id: int,
                  within: float = 90) -> None:  # fmt: skip
    """Wait until the workers have acked everything and the quiz's answers in
    PostgreSQL have not changed for 3 s."""
    deadline = time.monotonic() + within
    last, since = -1, time.monotonic()
    while time.monotonic() - since < 3 or not await asyncio.to_thread(drained, settings):
        assert time.monotonic() < deadline, "the workers did not catch up"
        cursor = await db.execute("SELECT count(*) FROM user_answer WHERE quiz_id = %s",
                                  (quiz_id,))  # fmt: skip
        row = await cursor.fetchone()
        count = row[0] if row else 0
        if count != last:
            last, since = count, time.monotonic()
        await asyncio.sleep(0.5)


async def verdict(
    history: list[Sent], db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, quiz: dict[str, Any], wait: int,
) -> dict[str, int]:  # fmt: skip
    """After the heal: the history's check against PostgreSQL, asserted."""
    await asyncio.to_thread(wait_until_healthy, faulty.valkeys, 1, 60)
    await settled(db, settings, quiz["id"])
    statuses = Counter(sent.status for sent in history)
    found = check(history, await stored_answers(db, quiz["id"]))
    assert set(statuses) <= {202, 503}, statuses  # no 500, no hang
    assert found.get("stored twice", 0) == 0, found
    assert found.get("acknowledged with other points", 0) == 0, found
    if wait:
        assert found.get("acknowledged but lost", 0) == 0, found
    reconciled = await asyncio.to_thread(quizboard, settings, "reconcile", str(quiz["id"]))
    differences = reconciled.stdout.count("DIFFERENCE")
    if differences:
        found["reconcile differences"] = differences
        print(reconciled.stdout)
    print(f"WAIT {wait}: {found}")
    if wait:  # without WAIT a worker may have copied an answer the cluster then forgot
        assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    return found


async def test_a_master_and_its_api_cut_off_from_the_rest(
    system: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, wait: int,
) -> None:  # fmt: skip
    """Scenario 1: the minority side (a master and the API) keeps taking requests until
    the node timeout; the majority promotes the master's replica; then the heal."""
    roles = cluster_roles(faulty.valkeys)
    master = next(iter(roles))
    quiz = await quiz_on(system, settings, master)
    history = await run_load(system, quiz, lambda: cut_off(faulty, master), faulty.net.heal)
    await verdict(history, db, settings, faulty, quiz, wait)


def cut_off(faulty: Faulty, master: str) -> None:
    """Put ``master`` and the API on one side, every other Valkey and the workers on
    the other."""
    minority = [faulty.node_at(master).name, "api"]
    majority = [n.name for n in faulty.valkeys if n.address != master] + ["workers"]
    for a in minority:
        for b in majority:
            faulty.net.cut(a, b)


async def test_a_flapping_link(
    system: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, wait: int,
) -> None:  # fmt: skip
    """Scenario 5: the cut of scenario 1 made and healed every 2 s, about the node
    timeout, for 16 s (``QUIZBOARD_FLAP_SECONDS``: a minute in the long variant):
    failovers may start, finish or not, and the old master may come back as a master
    or as a replica. With WAIT 1 no 202 may be lost; without it the losses are
    counted, and nothing may be stored twice or with other points."""
    master = next(iter(cluster_roles(faulty.valkeys)))
    quiz = await quiz_on(system, settings, master)
    stop = threading.Event()

    def flap() -> None:
        while not stop.is_set():
            cut_off(faulty, master)
            stop.wait(2)
            faulty.net.heal()
            stop.wait(2)

    flapper = threading.Thread(target=flap, name="flapper")

    def calm() -> None:
        stop.set()
        flapper.join()
        faulty.net.heal()

    every = 0.1  # 10 answers a second, so that 200 of them span the 16 s of flaps
    players = round((FLAP_S / every + 2 * CUT_AT) / len(quiz["questions"]))
    history = await run_load(system, quiz, flapper.start, calm, every, players)
    await verdict(history, db, settings, faulty, quiz, wait)


async def test_a_master_cut_off_from_its_replica_only(
    system: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, wait: int,
) -> None:  # fmt: skip
    """Scenario 2: the master still sees the other masters, so no failover; but WAIT
    cannot be met, so with WAIT 1 its answers get 503 until the heal."""
    roles = cluster_roles(faulty.valkeys)
    master, replica = next((m, r) for m, r in roles.items() if r)
    quiz = await quiz_on(system, settings, master)
    history = await run_load(
        system, quiz,
        lambda: faulty.net.cut(faulty.node_at(master).name, faulty.node_at(replica or "").name),
        faulty.net.heal,
    )  # fmt: skip
    found = await verdict(history, db, settings, faulty, quiz, wait)
    assert found.get("acknowledged but lost", 0) == 0, found  # no failover: nothing lost
    if wait:
        assert found.get("status 503", 0) > 0, found  # WAIT could not be met


class Room:
    """A player's socket on the gateway, and what came on it: boards, and what the
    gateway said of its feed (lost: False, back: True)."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.boards: list[dict[str, Any]] = []
        self.feed: list[bool] = []
        self._task = asyncio.create_task(self._watch())

    async def _watch(self) -> None:
        async for frame in self.ws:
            message = json.loads(frame)
            if message.get("type", "leaderboard") == "leaderboard":
                self.boards.append(message)
            elif message["type"] == "feed":
                self.feed.append(message["live"])

    async def shows_current_board(self, api: httpx.AsyncClient, quiz_id: int) -> None:
        """Wait until the last board that came is the board as it is now, and the
        gateway, if it said its feed was lost, said it is back."""
        board = (await api.get(f"/quizzes/{quiz_id}/leaderboard")).json()
        now = [(e["player_id"], e["score"]) for e in board["entries"]]

        async def current() -> bool:
            return bool(self.boards) and self.feed[-1:] != [False] and [
                (e["player_id"], e["score"]) for e in self.boards[-1]["entries"]
            ] == now  # fmt: skip

        await eventually(current, within=30)

    def close(self) -> None:
        self._task.cancel()


@contextlib.asynccontextmanager
async def watching(
    faulty: Faulty, api: httpx.AsyncClient, quiz: dict[str, Any]
) -> AsyncIterator[Room]:
    """A new player of ``quiz`` watching its room through the gateway."""
    player = await join(api, quiz["id"], "Watcher")
    url = f"ws://{faulty.gateway.address}:{GATEWAY_PORT}/quizzes/{quiz['id']}"
    async with websockets.connect(f"{url}?token={player['token']}") as ws:
        room = Room(ws)
        try:
            yield room
        finally:
            room.close()


async def test_a_paused_master(
    system: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, wait: int,
) -> None:  # fmt: skip
    """A master stopped (SIGSTOP) for 8 s, four times the node timeout: its replica takes
    over; resumed, it runs the requests that waited in its socket, then learns it was
    replaced and rejoins as a replica."""
    master = next(iter(cluster_roles(faulty.valkeys)))
    process = faulty.servers[faulty.node_at(master).name].process
    quiz = await quiz_on(system, settings, master)
    async with watching(faulty, system, quiz) as room:
        history = await run_load(
            system, quiz,
            lambda: os.kill(process.pid, signal.SIGSTOP),
            lambda: os.kill(process.pid, signal.SIGCONT),
        )  # fmt: skip
        await verdict(history, db, settings, faulty, quiz, wait)
        assert master not in cluster_roles(faulty.valkeys)  # it came back as a replica
        # The gateway serves the board of the master that took over, not the old one's.
        await room.shows_current_board(system, quiz["id"])


async def feed_losses(gateway: Node) -> float:
    """The gateway's count of lost pub/sub feeds, from its /metrics."""
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://{gateway.address}:{GATEWAY_PORT}/metrics")).text
    found = re.search(r"^quizboard_gateway_feed_losses(?:_total)? (\S+)$", text, re.M)
    assert found, "the gateway reports its lost feeds"
    return float(found.group(1))


@pytest.mark.parametrize("wait", [1], ids=["wait-1"], indirect=True)  # the API's WAIT: moot here
async def test_a_gateway_cut_off_from_its_node(
    system: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], settings: Settings,
    faulty: Faulty, wait: int,
) -> None:  # fmt: skip
    """Scenario 4: the gateway loses the master that publishes its room's snapshots,
    while the answers go on. Its connection fails no read (the packets just drop): it
    finds the loss by a PING left unanswered, counts it, and on the heal subscribes
    again and sends the room the board it missed."""
    master = next(iter(cluster_roles(faulty.valkeys)))
    quiz = await quiz_on(system, settings, master)
    async with watching(faulty, system, quiz) as room:
        before = await feed_losses(faulty.gateway)
        cut_at = 0.0

        def cut() -> None:
            nonlocal cut_at
            faulty.net.cut("gateway", faulty.node_at(master).name)
            cut_at = time.monotonic()

        # The load runs 10 s; the cut lasts from 1 s to 9 s, and then 6 s more, past
        # the 5 s of quiet and the 5 s a PING is given.
        history = await run_load(system, quiz, cut, lambda: None)
        await asyncio.sleep(max(0.0, cut_at + 14 - time.monotonic()))
        lost = await feed_losses(faulty.gateway)
        seen_in_cut = len(room.boards)
        assert room.feed[:1] == [False], room.feed  # the room was told while the cut lasted
        faulty.net.heal()
        found = await verdict(history, db, settings, faulty, quiz, wait)
        await room.shows_current_board(system, quiz["id"])
        assert room.feed[-1] is True, room.feed
    print(f"gateway: {lost - before:.0f} feed lost, {seen_in_cut} boards before the heal, "
          f"{len(room.boards)} after; {found}")  # fmt: skip
    assert lost > before  # the loss was found while the cut lasted
