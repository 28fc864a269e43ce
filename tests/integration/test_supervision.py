"""A worker's tasks outlive what they did not foresee: a consumer that fails (as when
redis-py's cluster client closes a connection under it) is started again, and what it
had read is delivered once (it reads its own pending entries first); a snapshot
publisher whose master stops answering publishes again once it answers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from quizboard.core.events import ENCODER, FIELD, ChangeEvent
from quizboard.core.keys import LB_CHANGES, Keys
from quizboard.local.relay import Impairment, Relay
from quizboard.settings import Settings
from quizboard.store.connections import redis_for
from quizboard.streams.consumer import Consumer, ConsumerConfig
from quizboard.streams.entries import Entry
from quizboard.streams.snapshots import SnapshotPublisher
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


async def test_a_publisher_whose_master_stops_answering_publishes_once_it_answers(
    redis: aioredis.Redis, settings: Settings
) -> None:
    """A worker's client has no socket timeout: a publish to a master that stopped
    answering (cut off, paused) waited for ever, and that quiz's board with it."""
    url = urlsplit(settings.redis_url or "")
    keys = Keys(settings.key_prefix)
    stalled = Impairment()
    with Relay(("127.0.0.1", 0), (url.hostname or "", url.port or 0), stalled) as relay:
        async with (
            redis_for(settings.replace(redis_url=f"redis://127.0.0.1:{relay.port}"),
                      blocks_for=None) as through_relay,
            redis.pubsub() as feed,
            SnapshotPublisher(through_relay, keys, interval_ms=50, top_n=10,
                              group="leaderboard") as publisher,
        ):  # fmt: skip
            await feed.ssubscribe(keys.channel(0, 7))
            await feed.get_message(timeout=1)  # the subscription's confirmation
            await publisher.apply("leaderboard", [change(keys, 7, "1-0")])
            assert await published(feed, within=5)
            stalled.delay_s = 3600  # what it is sent now is held: it answers nothing
            await publisher.apply("leaderboard", [change(keys, 7, "2-0")])
            await asyncio.sleep(0.5)
            stalled.delay_s = 0.0  # answering again, to new connections
            assert await published(feed, within=20)


def change(keys: Keys, quiz_id: int, entry_id: str) -> Entry:
    event = ENCODER.encode(ChangeEvent(quiz_id=quiz_id))
    return Entry(keys.stream(0, LB_CHANGES), entry_id, {FIELD.encode(): event})


async def published(feed: PubSub, within: float) -> bool:
    deadline = asyncio.get_running_loop().time() + within
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        message = await feed.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            return True
    return False
