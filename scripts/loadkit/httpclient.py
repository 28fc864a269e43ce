"""A small HTTP/1.1 keep-alive client on asyncio and httptools.

A load generator must cost far less CPU per request than the server it drives,
or it measures itself. General clients (httpx, aiohttp) spend several times the
server's own per-request cost; this one does only what the kit needs: JSON
requests on reused connections, parsed with the same C parser uvicorn uses.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httptools

IDLE_LIMIT = 3.0  # seconds; under the server's keep-alive timeout, so it never closes on us
_ID = re.compile(r"/(?:\d+|[0-9a-f]{64})(?=/|$)")  # a quiz's id, or a file's


def route(method: str, path: str) -> str:
    """``POST /quizzes/{id}/answers`` for ``POST /quizzes/7/answers?x=1``; ``GET
    /media/{id}`` for a file's."""
    return f"{method} {_ID.sub('/{id}', path.split('?', 1)[0])}"


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body = bytearray()
        self.last_used = time.monotonic()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"bad response: {exc}"))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), bytes(self.body)))
        self.body = bytearray()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(ConnectionError("connection closed by the server"))

    def _fail(self, exc: Exception) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)


class HttpClient:
    """Up to ``connections`` keep-alive connections to one host; requests queue for one."""

    def __init__(self, base_url: str, connections: int = 64) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(connections)
        self._head = f"Host: {self.host}:{self.port}\r\n".encode()
        self.requests: Counter[str] = Counter()  # every request sent, by route

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed and now - conn.last_used < IDLE_LIMIT:
                return conn
            if conn.transport is not None:
                conn.transport.close()
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        return conn

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send one request (with ``headers`` besides the usual) and return ``(status, body)``."""
        self.requests[route(method, path)] += 1
        async with self._slots:
            conn = await self._connection()
            auth = f"Authorization: Bearer {token}\r\n".encode() if token else b""
            if headers:
                auth += "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
            head = (
                f"{method} {path} HTTP/1.1\r\n".encode()
                + self._head
                + auth
                + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
            )
            conn.waiter = asyncio.get_running_loop().create_future()
            assert conn.transport is not None
            conn.transport.write(head + body)
            try:
                result = await conn.waiter
            except BaseException:
                if conn.transport is not None:
                    conn.transport.close()
                raise
            conn.last_used = time.monotonic()
            self._idle.append(conn)
            return result

    def close(self) -> None:
        for conn in self._idle:
            if conn.transport is not None:
                conn.transport.close()
        self._idle.clear()
