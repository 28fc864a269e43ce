"""The system run inside the test process: the API app, workers as tasks, a gateway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from quizboard.api import create_app
from quizboard.gateway.server import serve_gateway
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.streams.groups import GROUPS
from quizboard.streams.worker import WorkerResult, run_worker


def with_lifespan_state(app: Any, state: Any) -> Any:
    """ASGITransport sends no lifespan events, so hand the lifespan's state to each request."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


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


class Workers:
    """Consumer-group workers running as tasks in this process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop = asyncio.Event()
        self.tasks: dict[str, asyncio.Task[WorkerResult]] = {}

    def start(self, *groups: str) -> None:
        """Start one worker for each of ``groups`` (every group when none is named)."""
        for group in groups or tuple(GROUPS):
            self.add(group, group)

    def add(self, group: str, name: str) -> None:
        """Start a worker of ``group`` as consumer ``test-NAME``."""
        self.tasks[name] = asyncio.create_task(
            run_worker(self.settings, group, f"test-{name}", self.stop), name=name
        )

    async def close(self) -> dict[str, WorkerResult]:
        self.stop.set()
        return {name: await task for name, task in self.tasks.items()}


class Gateway:
    """A gateway serving in this process, and where to reach it."""

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
