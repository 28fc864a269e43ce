"""With ``wait_replicas`` a consumer hands an entry on only once a replica holds it,
whether it reads the entry new (``>``) or again from its pending list (id ``0``).

The second case broke in a minute of flapping links: a worker read an answer from a
master whose replica was cut off, WAIT failed, and it read its pending list again on
a new connection. That read writes nothing, so WAIT had nothing of its own to wait
for and counted any replica online: the answer went to PostgreSQL, the replica took
over without it, and reconcile found a row the cluster had forgotten.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import redis as redis_py
import redis.asyncio as aioredis

from quizboard.core.keys import Keys
from quizboard.local.embedded import EmbeddedValkey
from quizboard.streams.consumer import Consumer, ConsumerConfig
from quizboard.streams.entries import Entry
from tests.support.steps import eventually

STREAM = "{p0}replicated"
GROUP = "g"


class Recording:
    acks = False

    def __init__(self) -> None:
        self.applied: list[str] = []

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        self.applied.extend(entry.id for entry in entries)


@pytest.fixture
def master_and_replica(tmp_path: Path) -> Iterator[tuple[EmbeddedValkey, EmbeddedValkey]]:
    with EmbeddedValkey(tmp_path / "master") as master, \
            EmbeddedValkey(tmp_path / "replica") as replica:  # fmt: skip
        with redis_py.Redis(port=replica.port) as client:
            client.replicaof("127.0.0.1", master.port)

            deadline = time.monotonic() + 10
            while client.info("replication").get("master_link_status") != "up":
                assert time.monotonic() < deadline, "the replica never linked to its master"
                time.sleep(0.05)
        yield master, replica


async def test_a_pending_entry_is_handed_on_only_once_a_replica_holds_it(
    master_and_replica: tuple[EmbeddedValkey, EmbeddedValkey],
) -> None:
    master, replica = master_and_replica
    assert replica.pid is not None
    async with aioredis.Redis(port=master.port) as plain:
        await plain.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        os.kill(replica.pid, signal.SIGSTOP)  # online to its master, receiving nothing
        try:
            sent = (await plain.xadd(STREAM, {"n": "1"})).decode()
            # The consumer read it before (its WAIT failed), so it is in its pending list.
            await plain.xreadgroup(GROUP, "c", {STREAM: ">"})
            sink = Recording()
            config = ConsumerConfig(group=GROUP, name="c", streams=[STREAM], block_ms=50,
                                    batch_interval_ms=20, wait_replicas=1)  # fmt: skip
            async with aioredis.Redis(port=master.port) as client:
                consumer = Consumer(client, Keys("qb:"), config, sink)
                stop = asyncio.Event()
                running = asyncio.create_task(consumer.run(stop))
                await asyncio.sleep(3)  # reads, and WAITs of 1 s, again and again
                assert sink.applied == []  # the replica has not got it
                os.kill(replica.pid, signal.SIGCONT)

                async def delivered() -> bool:
                    return sink.applied == [sent]

                await eventually(delivered, within=15)
                stop.set()
                await asyncio.wait_for(running, 10)
        finally:
            os.kill(replica.pid, signal.SIGCONT)
