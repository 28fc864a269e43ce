"""A worker's small HTTP endpoint: ``/metrics`` for Prometheus, ``/readyz`` and ``/healthz``
for probes, served by a Starlette app under uvicorn as the API is (HEAD, keep-alive and
HTTP/1.1 come with them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from quizboard.observe.metrics import CONTENT_TYPE, render


class _Server(uvicorn.Server):
    """A uvicorn server that leaves the signals to its process: the worker owns SIGTERM,
    finishes its batch, and stops this server itself."""

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def metrics_app(registry: CollectorRegistry, ready: Callable[[], bool]) -> Starlette:
    """The endpoint's routes: metrics, readiness (``ready()``) and liveness."""

    async def metrics(request: Request) -> Response:
        return Response(render(registry), media_type=CONTENT_TYPE)

    async def readyz(request: Request) -> Response:
        if ready():
            return PlainTextResponse("ready\n")
        return PlainTextResponse("not ready\n", status_code=503)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    return Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


@asynccontextmanager
async def metrics_server(
    host: str, port: int, registry: CollectorRegistry, ready: Callable[[], bool]
) -> AsyncIterator[uvicorn.Server]:
    """Serve the endpoint on ``host:port`` until the block exits."""
    config = uvicorn.Config(
        metrics_app(registry, ready),
        host=host,
        port=port,
        lifespan="off",
        log_config=None,
        access_log=False,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(), name=f"metrics-server-{port}")
    try:
        while not server.started:
            if task.done():  # it could not start: its error (uvicorn exits on a taken port)
                await task
                raise RuntimeError(f"the metrics endpoint on port {port} did not start")
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        await task
