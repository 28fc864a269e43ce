"""A consumer that fails on something it did not foresee (as when redis-py's cluster
client closes a connection under it) is started again by its worker, and what it had
read is delivered once: it reads its own pending entries first."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import redis.asyncio as aioredis

from quizboard.core.keys import Keys
from quizboard.settings import Settings
from quizboard.streams.consumer import Consumer, ConsumerConfig
from quizboard.streams.entries import Entry
from quizboard.streams.worker import supervised
from tests.support.steps import eventually


class FailsOnce:
    """A sink whose first batch fails the way a connection closed under it does."""

    acks = False

    def __init__(self) -> None:
        self.failed = False
        self.applied: list[str] = []

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        if not self.failed:
            self.failed = True
            raise RuntimeError("unable to perform operation on <TCPTransport closed=True>")
        self.applied.extend(entry.id for entry in entries)


async def test_a_consumer_that_failed_unforeseen_runs_again_and_delivers_once(
    redis: aioredis.Redis, settings: Settings
) -> None:
    stream = "{p0}supervised"
    sent = [(await redis.xadd(stream, {"n": str(n)})).decode() for n in range(3)]
    sink = FailsOnce()
    config = ConsumerConfig(group="supervised", name="c", streams=[stream], block_ms=50,
                            batch_interval_ms=20)  # fmt: skip
    consumer = Consumer(redis, Keys(settings.key_prefix), config, sink)
    stop = asyncio.Event()
    running = asyncio.create_task(supervised(consumer, stop))

    async def delivered() -> bool:
        return len(sink.applied) >= len(sent)

    await eventually(delivered, within=10)
    stop.set()
    await asyncio.wait_for(running, 10)
    assert sink.failed
    assert sink.applied == sent  # each once, in order, after the failure
    assert (await redis.xpending(stream, "supervised"))["pending"] == 0
