"""Opening Redis clients and PostgreSQL pools, each as an async context manager.

redis-py 8 gives every connection a 5 s socket timeout by default. A client whose
commands block says for how long, ``blocks_for``, and its reads time out that much
later; with ``blocks_for=None`` (a worker, a pub/sub listener) there is no socket
timeout, and the caller bounds its own waits (a worker times its reads out itself:
redis-py's socket timeout opens a window in which a cluster client can close a
connection under a command about to be written on it).

A connection times out after 2 s (a connect on a working network takes
milliseconds, a lost SYN is resent after 1 s): cut off from a Valkey whose packets
are dropped, not refused, a connect waited 5 s before. On one Valkey a call is not
tried again (the pool's connections have no retry, and a pub/sub connection that
broke must say so, so that the gateway resends what its rooms missed). A cluster
client keeps redis-py's 10 tries, each after learning the slot map again: a
resharding's TRYAGAIN and a failover need them, and the intake, the one path that
must answer fast, sends its own calls (:mod:`quizboard.store.pipelines`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol, TypeVar

import psycopg
import psycopg_pool
import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.cluster import RedisCluster

from quizboard.core.errors import ConfigError
from quizboard.settings import Settings

T = TypeVar("T")

REDIS_TIMEOUT = 5.0
REDIS_CONNECT_TIMEOUT = 2.0


async def in_time(step: Awaitable[T], what: str, limit: float = REDIS_TIMEOUT) -> T:
    """``step``'s result within ``limit`` seconds, or a Redis timeout: for a caller
    whose client has no socket timeout, a server that stops answering (cut off by the
    network, paused) is then one that is down, and its loop retries."""
    try:
        return await asyncio.wait_for(step, limit)
    except TimeoutError:
        raise redis.exceptions.TimeoutError(f"{what}: no reply within {limit} s") from None


def _read_timeout(blocks_for: float | None) -> float | None:
    return None if blocks_for is None else REDIS_TIMEOUT + blocks_for


# The errors that mean "a server cannot serve right now": unreachable, loading its
# data, full (maxmemory with noeviction refuses writes), a replica after a failover,
# a cluster with a slot no master serves (CLUSTERDOWN, or none known yet while a
# replica takes over), or a cluster that kept redirecting a call until redis-py gave
# up (ClusterError "TTL exhausted": a resharding still moving the call's keys, its
# TRYAGAIN repeated). Retry, do not give up.
REDIS_DOWN: tuple[type[Exception], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.BusyLoadingError,
    redis.exceptions.TryAgainError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.ClusterError,  # with ClusterDownError, its subclass
    redis.exceptions.SlotNotCoveredError,
)
POSTGRES_DOWN: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
)
SERVER_DOWN = REDIS_DOWN + POSTGRES_DOWN

Redis = aioredis.Redis | RedisCluster
Pool = psycopg_pool.AsyncConnectionPool[psycopg.AsyncConnection[tuple[Any, ...]]]
Configure = Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]]


class Connections(Protocol):
    """Where PostgreSQL connections come from: a pool, or one :class:`Reconnecting`."""

    def connection(self) -> AbstractAsyncContextManager[psycopg.AsyncConnection[Any]]: ...


class Reconnecting:
    """One PostgreSQL connection for one worker, opened again after it breaks.

    A pool reconnects in the background with a backoff that doubles without a cap
    short of minutes: after a 20 s outage its next attempt may come 10 s late.
    A worker needs one connection, and retries with its own short backoff, so it
    simply connects again on the next use. Autocommit is on: each sink opens
    the one transaction it needs.
    """

    def __init__(self, url: str | None, configure: Configure | None = None) -> None:
        if not url:
            raise ConfigError("QUIZBOARD_DATABASE_URL is not set")
        self._url = url
        self._configure = configure
        self._conn: psycopg.AsyncConnection[Any] | None = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self.aclose()
            conn = await psycopg.AsyncConnection.connect(
                self._url, autocommit=True, connect_timeout=3
            )
            if self._configure is not None:
                await self._configure(conn)
            self._conn = conn
        yield self._conn

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                await conn.close()

    async def __aenter__(self) -> Reconnecting:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


@asynccontextmanager
async def redis_client(
    url: str | None,
    *,
    blocks_for: float | None = 0.0,
    max_connections: int = 64,
    cluster: bool = False,
) -> AsyncIterator[Redis]:
    """A Redis client for ``url``, closed on exit, whose commands may block for up to
    ``blocks_for`` seconds (``None``: for ever, for pub/sub).

    With ``cluster``, a :class:`RedisCluster` that learns the cluster from the node
    ``url`` names and routes each command to the node that holds its slot.
    """
    if not url:
        raise ConfigError("QUIZBOARD_REDIS_URL is not set")
    if cluster:
        async with _cluster_client(url, _read_timeout(blocks_for)) as nodes:
            yield nodes
        return
    # A burst of requests waits for a free connection instead of failing with
    # MaxConnectionsError, as redis-py's default pool does past 100 connections.
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=REDIS_TIMEOUT,
        socket_timeout=_read_timeout(blocks_for),
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_keepalive=True,
        health_check_interval=30,
    )
    client = aioredis.Redis.from_pool(pool)
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def pg_pool(
    url: str | None,
    *,
    min_size: int = 1,
    max_size: int = 4,
    configure: Callable[[psycopg.AsyncConnection[tuple[Any, ...]]], Awaitable[None]] | None = None,
) -> AsyncIterator[Pool]:
    """A PostgreSQL pool for ``url``, opened without waiting and closed on exit."""
    if not url:
        raise ConfigError("QUIZBOARD_DATABASE_URL is not set")
    pool: Pool = psycopg_pool.AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        configure=configure,
        timeout=10.0,
        name="quizboard",
    )
    async with pool:
        yield pool


def redis_for(
    settings: Settings, *, blocks_for: float | None = 0.0, max_connections: int = 64
) -> AbstractAsyncContextManager[Redis]:
    """The Redis client ``settings`` ask for: one Valkey, or a cluster."""
    return redis_client(
        settings.redis_url,
        blocks_for=blocks_for,
        max_connections=max_connections,
        cluster=settings.redis_cluster,
    )


@asynccontextmanager
async def _cluster_client(url: str, read_timeout: float | None) -> AsyncIterator[RedisCluster]:
    # A node's pool refuses past max_connections instead of waiting: keep it well above
    # what one process holds (a blocked read per partition, a flush per node).
    client = RedisCluster.from_url(
        url,
        max_connections=1024,
        socket_timeout=read_timeout,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
        socket_keepalive=True,
        health_check_interval=30,
    )
    try:
        await client.initialize()
        yield client
    finally:
        await client.aclose()


def text(value: bytes | str | None) -> str:
    """A Redis reply as ``str`` (``""`` for nil): replies come back as bytes."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else value
