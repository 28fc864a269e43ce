"""Running one consumer group: which stream it reads and which sink it feeds."""

from __future__ import annotations

import asyncio
import socket
from contextlib import AbstractAsyncContextManager, AsyncExitStack

from quizboard.core.failpoints import Failpoints
from quizboard.core.keys import Keys
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.metrics_server import metrics_server
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.connections import Reconnecting, redis_client
from quizboard.streams.consumer import Consumer, ConsumerConfig
from quizboard.streams.groups import SinkContext, group, readers
from quizboard.streams.postgres_sinks import create_staging_tables
from quizboard.streams.stats import refresh_forever


def default_consumer_name() -> str:
    """A name that stays the same across restarts of the same worker on this host."""
    return f"{socket.gethostname()}-0"


async def run_worker(
    settings: Settings,
    group_name: str,
    consumer_name: str,
    stop: asyncio.Event,
    metrics_port: int | None = None,
    tracing: Tracing | None = None,
) -> Consumer:
    """Consume ``group_name`` until ``stop`` is set; return the finished consumer.

    With ``metrics_port`` the worker serves ``/metrics`` and ``/readyz`` there.
    """
    spec = group(group_name)
    keys = Keys(settings.key_prefix)
    async with AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_client(settings.redis_url, blocking=True))
        pool = None
        if spec.postgres:
            pool = await stack.enter_async_context(
                Reconnecting(settings.database_url, configure=create_staging_tables)
            )
        metrics = WorkerMetrics()
        tracing = tracing or Tracing()
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
            name=consumer_name,
            streams=keys.streams(settings.partitions, spec.stream),
            batch_size=settings.batch_size,
            batch_interval_ms=(
                settings.batch_interval_ms
                if spec.batch_interval_ms is None
                else spec.batch_interval_ms
            ),
            block_ms=settings.block_ms,
            reclaim_idle_ms=settings.reclaim_idle_ms,
            max_deliveries=settings.max_deliveries,
        )
        consumer = Consumer(redis, keys, config, sink, metrics, tracing)
        if metrics_port is not None:
            await stack.enter_async_context(
                metrics_server(
                    settings.api_host,
                    metrics_port,
                    metrics.registry,
                    ready=lambda: consumer.started,
                )
            )
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(
                refresh_forever(redis, metrics, config.streams, readers(spec.stream), stop),
                name=f"{spec.name}-stream-stats",
            )
            await consumer.run(stop)
    return consumer
