"""A worker's small HTTP endpoint: ``/metrics`` for Prometheus, ``/readyz`` for probes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry

from quizboard.observe.metrics import CONTENT_TYPE, render


def _response(status: str, body: bytes, content_type: str = "text/plain") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


@asynccontextmanager
async def metrics_server(
    host: str, port: int, registry: CollectorRegistry, ready: Callable[[], bool]
) -> AsyncIterator[asyncio.Server]:
    """Serve until the block exits."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            path = line.split()[1].decode() if len(line.split()) > 1 else "/"
            if path.startswith("/metrics"):
                writer.write(_response("200 OK", render(registry), CONTENT_TYPE))
            elif path.startswith("/readyz"):
                ok = ready()
                writer.write(
                    _response(
                        "200 OK" if ok else "503 Service Unavailable",
                        b"ready\n" if ok else b"not ready\n",
                    )
                )
            elif path.startswith("/healthz"):
                writer.write(_response("200 OK", b"ok\n"))
            else:
                writer.write(_response("404 Not Found", b"not found\n"))
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port)
    async with server:
        yield server
