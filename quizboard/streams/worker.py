"""Running one consumer group: which stream it reads and which sink it feeds."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from quizboard.connections import Pool, Redis, pg_pool, redis_client
from quizboard.errors import ConfigError
from quizboard.keys import ANSWERS, JOINS, Keys
from quizboard.settings import Settings
from quizboard.streams.consumer import Consumer, ConsumerConfig, Sink
from quizboard.streams.postgres_sinks import UserAnswerSink, UserQuizSink, create_staging_tables
from quizboard.streams.redis_sinks import LeaderboardAnswerSink, LeaderboardJoinSink


@dataclass(frozen=True, slots=True)
class Group:
    """A consumer group: the stream it reads and how to build its sink."""

    name: str
    stream: str
    postgres: bool
    make_sink: Callable[[Redis, Keys, Pool | None], Sink]


def _pool(pool: Pool | None) -> Pool:
    if pool is None:  # pragma: no cover - run_worker opens a pool for postgres groups
        raise ConfigError("this group needs PostgreSQL")
    return pool


GROUPS: dict[str, Group] = {
    group.name: group
    for group in (
        Group("joins-db", JOINS, True, lambda r, k, p: UserQuizSink(_pool(p))),
        Group("joins-redis", JOINS, False, lambda r, k, p: LeaderboardJoinSink(r, k)),
        Group("answers-db", ANSWERS, True, lambda r, k, p: UserAnswerSink(_pool(p))),
        Group("answers-redis", ANSWERS, False, lambda r, k, p: LeaderboardAnswerSink(r, k)),
    )
}


def default_consumer_name() -> str:
    """A name that stays the same across restarts of the same worker on this host."""
    return f"{socket.gethostname()}-0"


async def run_worker(
    settings: Settings, group_name: str, consumer_name: str, stop: asyncio.Event
) -> Consumer:
    """Consume ``group_name`` until ``stop`` is set; return the finished consumer."""
    group = GROUPS.get(group_name)
    if group is None:
        raise ConfigError(f"unknown group {group_name!r}; choose from {', '.join(GROUPS)}")
    keys = Keys(settings.key_prefix)
    async with AsyncExitStack() as stack:
        redis = await stack.enter_async_context(redis_client(settings.redis_url, blocking=True))
        pool = None
        if group.postgres:
            pool = await stack.enter_async_context(
                pg_pool(settings.database_url, max_size=1, configure=create_staging_tables)
            )
        config = ConsumerConfig(
            group=group.name,
            name=consumer_name,
            streams=keys.streams(settings.partitions, group.stream),
            batch_size=settings.batch_size,
            batch_interval_ms=settings.batch_interval_ms,
            block_ms=settings.block_ms,
            reclaim_idle_ms=settings.reclaim_idle_ms,
            max_deliveries=settings.max_deliveries,
        )
        consumer = Consumer(redis, keys, config, group.make_sink(redis, keys, pool))
        await consumer.run(stop)
    return consumer
