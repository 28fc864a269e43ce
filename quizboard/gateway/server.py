"""The gateway server: handshake checks, one handler per client, and a clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import http
import logging
import time
import weakref
from collections.abc import Callable
from contextlib import AsyncExitStack

import msgspec
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from quizboard.core.addresses import client_address, parse_networks
from quizboard.core.errors import Forbidden, QuizboardError
from quizboard.core.http import error_body, status_of
from quizboard.core.keys import Keys
from quizboard.gateway.handshake import authorize, origin_allowed, parse_target
from quizboard.gateway.rooms import TRY_AGAIN_LATER, Rooms
from quizboard.observe.metrics import CONTENT_TYPE, GatewayMetrics, render
from quizboard.observe.metrics_server import metrics_server
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import SERVER_DOWN, Pool, Redis, pg_pool, redis_for

log = logging.getLogger(__name__)
ENCODER = msgspec.json.Encoder()

MAX_INCOMING = 4096  # clients have nothing to say; a bigger frame is closed with 1009
MAX_CLIENT_BUFFER = 256 * 1024
MAX_CLIENT_MESSAGES_PER_S = 20  # clients have nothing to say: a flood is closed with 1008
POLICY_VIOLATION = 1008
# Connections waiting to be accepted. asyncio's default, 100, overflows when thousands
# of players open their sockets in the same second (a class joining, a reconnect wave
# after a restart): the kernel then drops SYNs and those clients wait seconds for a
# retry, or give up. The kernel caps it at net.core.somaxconn.
BACKLOG = 4096


def _respond(connection: ServerConnection, status: int, body: bytes, content_type: str) -> Response:
    response = connection.respond(status, "")
    response.body = body
    del response.headers["Content-Type"]
    del response.headers["Content-Length"]
    response.headers["Content-Type"] = content_type
    response.headers["Content-Length"] = str(len(body))
    return response


def _reject(connection: ServerConnection, status: int, code: str, message: str) -> Response:
    body = ENCODER.encode(error_body(code, message))
    return _respond(connection, status, body, "application/json")


class Gateway:
    """One gateway process's clients and the HTTP endpoints on its port.

    It is given open clients (:func:`serve_gateway` owns them) and the rooms
    built on them; :meth:`serve` runs the pub/sub reader and the server until
    ``stop`` is set, then closes every client with 1001 (going away).
    """

    def __init__(
        self,
        settings: Settings,
        redis: Redis,
        pool: Pool,
        catalog: QuizCatalog,
        rooms: Rooms,
        *,
        reuse_port: bool = False,
    ) -> None:
        self._settings = settings
        self._secret = settings.secret.encode()
        self._keys = Keys(settings.key_prefix)
        self._redis = redis
        self._pool = pool
        self._catalog = catalog
        self._rooms = rooms
        self.metrics = GatewayMetrics(rooms)
        self._reuse_port = reuse_port
        self._trusted = parse_networks(settings.trusted_proxies)
        # What each accepted handshake watches: its quiz, and the player its token names
        # (None for a board or a host). Weak: a handshake that fails after the check
        # never reaches the handler, and leaves nothing behind.
        self._viewers: weakref.WeakKeyDictionary[ServerConnection, tuple[int, str | None]] = (
            weakref.WeakKeyDictionary()
        )

    async def serve(
        self, stop: asyncio.Event, on_ready: Callable[[int], None] | None = None
    ) -> None:
        """Serve until ``stop`` is set; ``on_ready`` gets the port once it listens."""
        async with asyncio.TaskGroup() as tasks:
            reader = tasks.create_task(self._rooms.run(), name="gateway-pubsub-reader")
            await self._listen(stop, on_ready)
            reader.cancel()

    async def _listen(self, stop: asyncio.Event, on_ready: Callable[[int], None] | None) -> None:
        settings = self._settings
        async with serve(
            self._handle,
            settings.gateway_host,
            settings.gateway_port,
            process_request=self._process_request,
            compression=None,  # deflate costs CPU and memory per client, for 2 KB messages
            max_size=MAX_INCOMING,
            max_queue=4,
            ping_interval=20,
            ping_timeout=20,
            close_timeout=5,
            reuse_port=self._reuse_port,
            backlog=BACKLOG,
        ) as server:
            gc.freeze()  # start-up objects never need collecting again
            port = server.sockets[0].getsockname()[1]
            log.info("gateway listening on ws://%s:%s", settings.gateway_host, port)
            if on_ready is not None:
                on_ready(port)
            await stop.wait()
            server.close(close_connections=True)  # 1001 going away
            await server.wait_closed()

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """Answer the HTTP endpoints; refuse a WebSocket handshake that may not proceed."""
        if request.path == "/healthz":
            return connection.respond(http.HTTPStatus.OK, "ok\n")
        if request.path == "/metrics":
            return _respond(connection, 200, render(self.metrics.registry), CONTENT_TYPE)
        if request.path == "/readyz":
            return await self._readiness(connection)
        if self._rooms.connections >= self._settings.gateway_max_connections:
            return _reject(
                connection,
                503,
                "gateway_full",
                "this gateway is at its connection limit; try another",
            )
        if not origin_allowed(request.headers.get("Origin"), self._settings.allowed_origins):
            log.info("refused a page from %s", request.headers.get("Origin"))
            return _reject(
                connection, 403, "origin_not_allowed", "pages from this origin may not connect"
            )
        try:
            target = parse_target(request.path, request.headers.get("Authorization"))
            player_id = authorize(
                target, secret=self._secret, admin_token=self._settings.admin_token, now=time.time()
            )
            config = await self._catalog.get(target.quiz_id)
            if player_id is not None and await self._removed(
                config.partition, config.id, player_id
            ):
                raise Forbidden("the host removed this player from the quiz", code="player_removed")
            self._viewers[connection] = (target.quiz_id, player_id)
        except QuizboardError as exc:
            log.info("refused a client from %s: %s", self._address(connection, request), exc.code)
            return _reject(connection, status_of(exc), exc.code, exc.message)
        except SERVER_DOWN:
            return _reject(connection, 503, "unavailable", "try again shortly")
        return None

    async def _removed_since(self, quiz_id: int, player_id: str) -> bool:
        """Whether the host removed the player between its handshake and its entering
        the room (a removal after that closes it through the room): if so, close it."""
        config = await self._catalog.get(quiz_id)
        if not await self._removed(config.partition, quiz_id, player_id):
            return False
        await self._rooms.close_removed(quiz_id, player_id)
        return True

    async def _removed(self, partition: int, quiz_id: int, player_id: str) -> bool:
        removed = self._keys.quiz(partition, quiz_id).removed
        return bool(await self._redis.hexists(removed, player_id))

    def _address(self, connection: ServerConnection, request: Request) -> str:
        """The client's address: the peer's, or the one a trusted proxy forwarded."""
        peer = connection.remote_address[0] if connection.remote_address else "unknown"
        headers = request.headers
        return client_address(
            peer, self._trusted, headers.get("X-Forwarded-For"), headers.get("Forwarded")
        )

    async def _readiness(self, connection: ServerConnection) -> Response:
        try:
            await self._redis.ping()
            async with self._pool.connection(timeout=2.0) as conn:
                await conn.execute("SELECT 1")
        except SERVER_DOWN as exc:
            return _reject(connection, 503, "not_ready", f"unreachable: {exc}")
        return connection.respond(http.HTTPStatus.OK, "ready\n")

    async def _handle(self, connection: ServerConnection) -> None:
        """One client, from its first snapshot until it leaves."""
        quiz_id, player_id = self._viewers.pop(connection)
        closing: asyncio.Task[None] | None = None
        try:
            await self._rooms.enter(quiz_id, connection, player_id)
            if player_id is not None and await self._removed_since(quiz_id, player_id):
                return
            closing = await self._drain(connection, quiz_id)
        except ConnectionClosed:
            pass  # however the client left, it left
        except SERVER_DOWN as exc:  # only entering reads Redis: no first snapshot to send
            log.warning("quiz %s: a client came while Redis is away: %r", quiz_id, exc)
            await connection.close(TRY_AGAIN_LATER, "the leaderboard is unavailable; reconnect")
        finally:
            await self._rooms.leave(quiz_id, connection)
            if closing is not None:
                await closing

    @staticmethod
    async def _drain(connection: ServerConnection, quiz_id: int) -> asyncio.Task[None] | None:
        """Read and drop what the client sends; close a client that floods with 1008.

        Returns the closing task, if one was started, for the caller to await.
        """
        closing: asyncio.Task[None] | None = None
        window, received = time.monotonic(), 0
        try:
            async for _ in connection:  # clients only listen; what they send is dropped
                received += 1
                if time.monotonic() - window >= 1.0:
                    window, received = time.monotonic(), 1
                if received > MAX_CLIENT_MESSAGES_PER_S and closing is None:
                    # Keep reading while closing: the client's close frame may sit
                    # behind the messages it flooded us with.
                    closing = asyncio.create_task(
                        connection.close(POLICY_VIOLATION, "too many messages"),
                        name=f"close-flooding-client-{quiz_id}",
                    )
        except ConnectionClosed:
            pass
        return closing


async def serve_gateway(
    settings: Settings,
    stop: asyncio.Event,
    on_ready: Callable[[int], None] | None = None,
    *,
    max_client_buffer: int = MAX_CLIENT_BUFFER,
    reuse_port: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Open the gateway's clients, serve a :class:`Gateway` until ``stop``, close them.

    With ``reuse_port`` it binds with SO_REUSEPORT, so several processes share the
    port; with ``metrics_port`` it also serves its own ``/metrics`` there.
    """
    keys = Keys(settings.key_prefix)
    async with (
        redis_for(settings) as redis,
        redis_for(settings, blocks_for=None) as listener,
        pg_pool(settings.database_url, max_size=2) as pool,
    ):
        catalog = QuizCatalog(pool, redis, keys, settings.partitions)
        rooms = Rooms(
            redis, listener, keys, catalog, top_n=settings.top_n, max_buffer=max_client_buffer
        )
        gateway = Gateway(settings, redis, pool, catalog, rooms, reuse_port=reuse_port)
        async with AsyncExitStack() as extra:
            if metrics_port is not None:
                await extra.enter_async_context(
                    metrics_server(
                        settings.gateway_host, metrics_port, gateway.metrics.registry, lambda: True
                    )
                )
            await gateway.serve(stop, on_ready)
