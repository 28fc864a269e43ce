"""Running one consumer group: which stream it reads and which sink it feeds."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import dataclass

from quizboard.core.errors import ConfigError
from quizboard.core.failpoints import Pause, pause_at
from quizboard.core.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.metrics_server import metrics_server
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.connections import Connections, Reconnecting, Redis, redis_client
from quizboard.streams.consumer import Consumer, ConsumerConfig, Sink
from quizboard.streams.postgres_sinks import UserAnswerSink, UserQuizSink, create_staging_tables
from quizboard.streams.redis_sinks import LeaderboardAnswerSink, LeaderboardJoinSink
from quizboard.streams.snapshots import SnapshotPublisher
from quizboard.streams.stats import refresh_forever


@dataclass(frozen=True, slots=True)
class SinkContext:
    """What a sink may be built from."""

    redis: Redis
    keys: Keys
    settings: Settings
    pool: Connections | None = None
    metrics: WorkerMetrics | None = None
    tracing: Tracing | None = None

    @property
    def pause(self) -> Pause:
        return pause_at(self.settings.test_pause)

    def postgres(self) -> Connections:
        if self.pool is None:  # pragma: no cover - run_worker opens a pool for these groups
            raise ConfigError("this group needs PostgreSQL")
        return self.pool


@dataclass(frozen=True, slots=True)
class Group:
    """A consumer group: the stream it reads and how to build its sink."""

    name: str
    stream: str
    make_sink: Callable[[SinkContext], Sink]
    postgres: bool = False
    # The leaderboard group must not hold changes back: the throttle does the pacing.
    batch_interval_ms: int | None = None


def _snapshots(ctx: SinkContext) -> SnapshotPublisher:
    return SnapshotPublisher(
        ctx.redis,
        ctx.keys,
        interval_ms=ctx.settings.throttle_ms,
        top_n=ctx.settings.top_n,
        pause=ctx.pause,
        metrics=ctx.metrics,
        tracing=ctx.tracing,
    )


GROUPS: dict[str, Group] = {
    group.name: group
    for group in (
        Group(
            "joins-db",
            JOINS,
            lambda c: UserQuizSink(c.postgres(), c.redis, c.keys, c.pause),
            postgres=True,
        ),
        Group("joins-redis", JOINS, lambda c: LeaderboardJoinSink(c.redis, c.keys, c.pause)),
        Group(
            "answers-db",
            ANSWERS,
            lambda c: UserAnswerSink(c.postgres(), c.redis, c.keys, c.pause),
            postgres=True,
        ),
        Group("answers-redis", ANSWERS, lambda c: LeaderboardAnswerSink(c.redis, c.keys, c.pause)),
        Group("leaderboard", LB_CHANGES, _snapshots, batch_interval_ms=0),
    )
}


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
    group = GROUPS.get(group_name)
    if group is None:
        raise ConfigError(f"unknown group {group_name!r}; choose from {', '.join(GROUPS)}")
    keys = Keys(settings.key_prefix)
    async with AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_client(settings.redis_url, blocking=True))
        pool = None
        if group.postgres:
            pool = await stack.enter_async_context(
                Reconnecting(settings.database_url, configure=create_staging_tables)
            )
        metrics = WorkerMetrics()
        tracing = tracing or Tracing()
        sink = group.make_sink(SinkContext(redis, keys, settings, pool, metrics, tracing))
        if isinstance(sink, AbstractAsyncContextManager):
            await stack.enter_async_context(sink)
        config = ConsumerConfig(
            group=group.name,
            name=consumer_name,
            streams=keys.streams(settings.partitions, group.stream),
            batch_size=settings.batch_size,
            batch_interval_ms=(
                settings.batch_interval_ms
                if group.batch_interval_ms is None
                else group.batch_interval_ms
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
                refresh_forever(redis, metrics, config.streams, stop),
                name=f"{group.name}-stream-stats",
            )
            await consumer.run(stop)
    return consumer
