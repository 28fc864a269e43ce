"""Running one consumer group: which streams it reads and which sinks it feeds.

A worker reads each partition's stream with an XREADGROUP of its own, one
consumer per partition, each blocking on its stream: an idle worker costs one
blocked read per partition, and on a cluster each read stays on the node that
holds its partition. Each partition's consumer has its own sink (and its own
PostgreSQL connection), so partitions never wait for each other. Any number of
workers of a group, on any hosts, share the partitions through the group.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass

from quizboard.core.backoff import Backoff
from quizboard.core.failpoints import Failpoints
from quizboard.core.keys import Keys
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.metrics_server import metrics_server
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.connections import Reconnecting, redis_for
from quizboard.store.live import LiveQuizzes
from quizboard.streams.closer import QuestionCloser
from quizboard.streams.consumer import Consumer, ConsumerConfig
from quizboard.streams.groups import Group, SinkContext, group, readers
from quizboard.streams.postgres_sinks import create_staging_tables
from quizboard.streams.stats import refresh_forever

log = logging.getLogger(__name__)

HEALTHY_RUN_S = 60.0  # a consumer that ran this long before failing waits the least again


@dataclass(frozen=True, slots=True)
class WorkerResult:
    """What a worker did before it stopped, over all its partitions."""

    acked: int
    dead: int


def default_consumer_name() -> str:
    """A name that stays the same across restarts of the same worker on this host."""
    return f"{socket.gethostname()}-0"


async def _consumer(
    stack: AsyncExitStack,
    spec: Group,
    stream: str,
    name: str,
    settings: Settings,
    metrics: WorkerMetrics,
    tracing: Tracing,
) -> Consumer:
    """One partition's consumer, with a Redis client and a sink of its own entered on
    ``stack``. A client of its own: a cluster client closes every connection it holds
    when it learns the slot map again, those other tasks are using too."""
    keys = Keys(settings.key_prefix)
    redis = await stack.enter_async_context(redis_for(settings, blocks_for=None))
    pool = None
    if spec.postgres:
        pool = await stack.enter_async_context(
            Reconnecting(
                settings.database_url, configure=create_staging_tables if spec.copies else None
            )
        )
    sink = spec.make_sink(
        SinkContext(
            spec.name, redis, keys, settings, pool, metrics, tracing,
            failpoints=Failpoints(settings.test_pause),
        )
    )  # fmt: skip
    if isinstance(sink, AbstractAsyncContextManager):
        await stack.enter_async_context(sink)
    config = ConsumerConfig(
        group=spec.name,
        name=name,
        streams=[stream],
        batch_size=settings.batch_size,
        batch_interval_ms=spec.interval_ms(settings.batch_interval_ms),
        block_ms=settings.block_ms,
        reclaim_idle_ms=settings.reclaim_idle_ms,
        max_deliveries=settings.max_deliveries,
        wait_replicas=settings.wait_replicas,
    )
    return Consumer(redis, keys, config, sink, metrics, tracing)


async def supervised(consumer: Consumer, stop: asyncio.Event) -> None:
    """Run ``consumer`` until ``stop``. If it fails on something it did not foresee
    (redis-py's cluster client closing a connection under a command fails with
    ``RuntimeError`` or ``AttributeError``), log it and run it again, as a restarted
    worker would: it reads its own pending entries first, so nothing is lost."""
    backoff = Backoff()
    while not stop.is_set():
        started = time.monotonic()
        try:
            await consumer.run(stop)
            return
        except Exception:  # the one supervising level of a consumer
            log.exception("group %s: the consumer failed; starting it again",
                          consumer.config.group)  # fmt: skip
            if time.monotonic() - started > HEALTHY_RUN_S:
                backoff.reset()  # a failure after a long run is not a failing loop
            await backoff.wait()


async def run_worker(
    settings: Settings,
    group_name: str,
    consumer_name: str,
    stop: asyncio.Event,
    metrics_port: int | None = None,
    tracing: Tracing | None = None,
) -> WorkerResult:
    """Consume ``group_name`` until ``stop`` is set; return what was done.

    With ``metrics_port`` the worker serves ``/metrics`` and ``/readyz`` there.
    """
    spec = group(group_name)
    keys = Keys(settings.key_prefix)
    streams = keys.streams(settings.partitions, spec.stream)
    metrics = WorkerMetrics()
    tracing = tracing or Tracing()
    async with AsyncExitStack() as stack:
        # No socket timeout: the reads block. The consumer bounds each of its steps
        # itself (redis-py's socket timeout opens a window in which a cluster client
        # can close a connection under a command about to be written on it).
        redis = await stack.enter_async_context(redis_for(settings, blocks_for=None))
        consumers: Sequence[Consumer] = [
            await _consumer(stack, spec, s, consumer_name, settings, metrics, tracing)
            for s in streams
        ]
        if metrics_port is not None:
            await stack.enter_async_context(
                metrics_server(
                    settings.api_host,
                    metrics_port,
                    metrics.registry,
                    ready=lambda: all(c.started for c in consumers),
                )
            )
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                refresh_forever(redis, metrics, streams, readers(spec.stream), stop),
                name=f"{spec.name}-stream-stats",
            )
            for consumer in consumers:
                stream = consumer.config.streams[0]
                tasks.create_task(supervised(consumer, stop), name=f"{spec.name}-{stream}")
            if spec.closes_questions:
                own = await stack.enter_async_context(redis_for(settings, blocks_for=None))
                closer = QuestionCloser(LiveQuizzes(own, keys), settings.partitions)
                tasks.create_task(closer.run(stop), name=f"{spec.name}-question-closer")
    return WorkerResult(sum(c.acked for c in consumers), sum(c.dead for c in consumers))
