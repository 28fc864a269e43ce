"""Real servers for the integration tier.

One Valkey and one PostgreSQL per test session, started from the embedded
wheels in a temporary directory (or taken from ``QUIZBOARD_TEST_REDIS_URL`` and
``QUIZBOARD_TEST_DATABASE_URL``). Every test starts from an empty keyspace and
empty tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.api import create_app
from quizboard.gateway.server import serve_gateway
from quizboard.local.embedded import EmbeddedPostgres, EmbeddedValkey
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.migrations import migrate
from quizboard.streams.consumer import Consumer
from quizboard.streams.groups import GROUPS
from quizboard.streams.worker import run_worker

ADMIN = "test-admin-token"


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


@pytest.fixture
def settings(server_urls: tuple[str, str], request: pytest.FixtureRequest) -> Settings:
    """Settings for the test servers; parametrize indirectly with a dict to change some."""
    redis_url, database_url = server_urls
    changes: dict[str, Any] = getattr(request, "param", {})
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
        await conn.execute("TRUNCATE quizzes, questions, user_quiz, user_answer RESTART IDENTITY")
        yield conn


@contextlib.asynccontextmanager
async def api_client(
    settings: Settings, tracing: Tracing | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for an API app running in this process, with its lifespan."""
    app = create_app(settings, tracing)
    async with (
        app.router.lifespan_context(app) as state,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=with_lifespan_state(app, state)),
            base_url="http://quizboard.test",
        ) as client,
    ):
        yield client


@pytest.fixture
async def api(
    settings: Settings, redis: aioredis.Redis, db: psycopg.AsyncConnection[Any]
) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings) as client:
        yield client


def with_lifespan_state(app: Any, state: Any) -> Any:
    """ASGITransport sends no lifespan events, so hand the lifespan's state to each request."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


class Workers:
    """Consumer-group workers running as tasks in this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[Consumer]] = {}

    def start(self, *groups: str) -> None:
        """Start one worker for each of ``groups`` (every group when none is named)."""
        for group in groups or tuple(GROUPS):
            self.add(group, group)

    def add(self, group: str, name: str) -> None:
        """Start a worker of ``group`` as consumer ``test-NAME``."""
        self.tasks[name] = asyncio.create_task(
            run_worker(self.settings, group, f"test-{name}", self.stop), name=name
        )

    async def close(self) -> dict[str, Consumer]:
        self.stop.set()
        return {name: await task for name, task in self.tasks.items()}


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
def repo_root() -> Path:
    return Path(__file__).parent.parent.parent


class Gateway:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.port = 0
        self.ready = asyncio.Event()

    def url(self, quiz_id: int | str, token: str | None = None) -> str:
        query = f"?token={token}" if token else ""
        return f"ws://127.0.0.1:{self.port}/quizzes/{quiz_id}{query}"

    def started(self, port: int) -> None:
        self.port = port
        self.ready.set()


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings, **options: Any) -> AsyncIterator[Gateway]:
    """A gateway serving in this process on a free port, stopped on exit."""
    running = Gateway(settings.replace(gateway_port=0))
    task = asyncio.create_task(
        serve_gateway(running.settings, running.stop, running.started, **options),
        name="test-gateway",
    )
    await asyncio.wait_for(running.ready.wait(), 10)
    try:
        yield running
    finally:
        running.stop.set()
        await task


@pytest.fixture
async def gateway(settings: Settings, redis: aioredis.Redis) -> AsyncIterator[Gateway]:
    async with running_gateway(settings, max_client_buffer=64 * 1024) as running:
        yield running
