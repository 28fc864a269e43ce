"""Real servers for the integration tier.

One Valkey and one PostgreSQL per test session, started from the embedded
wheels in a temporary directory (or taken from ``QUIZBOARD_TEST_REDIS_URL`` and
``QUIZBOARD_TEST_DATABASE_URL``). Every test starts from an empty keyspace and
empty tables.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from playwright.async_api import Browser
from redis.asyncio.cluster import RedisCluster

from quizboard.local.cluster import EmbeddedCluster
from quizboard.local.embedded import EmbeddedPostgres, EmbeddedValkey
from quizboard.settings import Settings
from quizboard.store.migrations import migrate
from tests.support.browser import WebStack, chromium, web_stack
from tests.support.quizzes import ADMIN
from tests.support.stack import Gateway, Workers, api_client, running_gateway


@pytest.fixture(scope="session")
def server_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    redis_url = os.environ.get("QUIZBOARD_TEST_REDIS_URL")
    database_url = os.environ.get("QUIZBOARD_TEST_DATABASE_URL")
    base = tmp_path_factory.mktemp("servers")
    with ExitStack() as stack:
        if not redis_url:
            redis_url = stack.enter_context(EmbeddedValkey(base / "valkey")).url
        if not database_url:
            database_url = stack.enter_context(
                EmbeddedPostgres(base / "postgres", durable=False)
            ).url
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")

        async def apply() -> None:
            async with await psycopg.AsyncConnection.connect(database_url) as aconn:
                await migrate(aconn)

        asyncio.run(apply())
        yield redis_url, database_url


@pytest.fixture(scope="session")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A local cluster of 3 masters and 3 replicas, started once, for the tests that ask."""
    with EmbeddedCluster(tmp_path_factory.mktemp("cluster")) as cluster:
        yield cluster.url


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``single`` (one Valkey) unless a test module parametrizes it with ``cluster``:
    ``pytest.mark.parametrize("backend", BACKENDS, indirect=True)``."""
    return str(getattr(request, "param", "single"))


@pytest.fixture
def settings(
    server_urls: tuple[str, str], backend: str, request: pytest.FixtureRequest
) -> Settings:
    """Settings for the test servers; parametrize indirectly with a dict to change some."""
    redis_url, database_url = server_urls
    changes: dict[str, Any] = getattr(request, "param", {})
    if backend == "cluster":
        # 6 partitions: two on each master of the three.
        changes = {"redis_cluster": True, "partitions": 6, **changes}
        redis_url = request.getfixturevalue("cluster_url")
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        admin_token=ADMIN,
        secret="test-secret",
        partitions=2,
        batch_size=200,
        batch_interval_ms=100,
        block_ms=200,
        reclaim_idle_ms=400,
        max_deliveries=2,
    ).replace(**changes)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    """A client of the test's Valkey (or cluster), emptied first."""
    if settings.redis_cluster:
        cluster = RedisCluster.from_url(settings.redis_url or "")
        await cluster.flushall(target_nodes=RedisCluster.PRIMARIES)
        try:
            yield cluster  # type: ignore[misc]  # the commands the tests use are the same
        finally:
            await cluster.aclose()
        return
    client = aioredis.Redis.from_url(settings.redis_url or "")
    await client.flushall()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(
        settings.database_url or "", autocommit=True
    ) as conn:
        await conn.execute(
            "TRUNCATE quizzes, questions, user_quiz, user_answer, media, removed_players"
            " RESTART IDENTITY"
        )
        yield conn


@pytest.fixture
async def api(
    settings: Settings, redis: aioredis.Redis, db: psycopg.AsyncConnection[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


@pytest.fixture
async def workers(
    settings: Settings, redis: aioredis.Redis, db: psycopg.AsyncConnection[Any]
) -> AsyncIterator[Workers]:
    running = Workers(settings)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def gateway(settings: Settings, redis: aioredis.Redis) -> AsyncIterator[Gateway]:
    async with running_gateway(settings, max_client_buffer=64 * 1024) as running:
        yield running


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One Chromium for the session; each test opens its own pages."""
    async with chromium() as running:
        yield running


@pytest.fixture
async def web(
    settings: Settings, redis: aioredis.Redis, db: psycopg.AsyncConnection[Any], workers: Workers
) -> AsyncIterator[WebStack]:
    """The API and the gateway as processes a browser reaches, and every worker."""
    workers.start()
    async with web_stack(settings) as stack:
        yield stack
