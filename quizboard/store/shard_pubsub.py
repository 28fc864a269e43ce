"""Listening to sharded pub/sub channels (SSUBSCRIBE), on one Valkey or a cluster.

A quiz's snapshots go out with SPUBLISH on a channel under its partition's tag,
so on a cluster they are published on the node that holds the quiz, and only
that node delivers them. :func:`shard_listener` gives the gateway one interface
for both: on one Valkey, one pub/sub connection; on a cluster, one per node
that holds a subscribed channel, each read by a task of its own into one
queue. Losing any connection (a node died, a failover) raises the
server-down error from :meth:`next_message`, and so does a channel the server
dropped because its slot moved to another node (a resharding: Valkey then
sends a ``sunsubscribe`` nobody asked for). :meth:`reset` then drops every
connection and re-reads the cluster's layout, and the caller subscribes again.

A connection whose packets are dropped (a network partition) fails no read: it
just stays quiet. So a connection quiet for :data:`QUIET_S` is sent a PING, and
one that does not answer within the Redis timeout counts as lost, like one that
broke.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import redis.asyncio as aioredis
import redis.exceptions
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from quizboard.core.tasks import stop_task
from quizboard.store.connections import REDIS_CONNECT_TIMEOUT, REDIS_TIMEOUT, Redis

Message = tuple[bytes, bytes]  # channel, data
QUIET_S = 5.0  # a pub/sub connection quiet this long is asked for a PING


class ShardListener(Protocol):
    async def subscribe(self, *channels: str) -> None:
        """SSUBSCRIBE to ``channels``."""

    async def unsubscribe(self, channel: str) -> None:
        """SUNSUBSCRIBE from ``channel``."""

    async def next_message(self) -> Message:
        """The next published message; a server-down error when a connection is lost."""

    async def reset(self) -> None:
        """Drop every connection after a loss; subscribe again afterwards."""

    async def aclose(self) -> None:
        """Close every connection."""


class ChannelMoved(redis.exceptions.ConnectionError):
    """The server dropped a subscribed channel: its slot now lives on another node.

    A connection error, so that whoever handles a lost connection subscribes
    again, on the node that holds the slot now, and makes up for what it missed.
    """


async def _next_published(pubsub: PubSub) -> Message:
    pinged = False
    while True:
        message: Any = await pubsub.get_message(timeout=REDIS_TIMEOUT if pinged else QUIET_S)
        if message is None:  # nothing came in that time
            if pinged:
                raise redis.exceptions.TimeoutError("no reply to PING on a pub/sub connection")
            await pubsub.ping()
            pinged = True
            continue
        pinged = False  # whatever arrives says the connection lives
        if message["type"] == "smessage":
            return message["channel"], message["data"]
        # redis-py forgets a channel when the reply to our own SUNSUBSCRIBE comes;
        # one it still holds was dropped by the server.
        if message["type"] == "sunsubscribe" and message["channel"] in pubsub.shard_channels:
            raise ChannelMoved(f"the server dropped {message['channel']!r}: its slot moved")


class _OneNode:
    """Every channel on one pub/sub connection of a single Valkey."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._pubsub = client.pubsub()

    async def subscribe(self, *channels: str) -> None:
        await self._pubsub.ssubscribe(*channels)

    async def unsubscribe(self, channel: str) -> None:
        await self._pubsub.sunsubscribe(channel)

    async def next_message(self) -> Message:
        return await _next_published(self._pubsub)

    async def reset(self) -> None:
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        self._pubsub = self._client.pubsub()

    async def aclose(self) -> None:
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]


class _NodeFeed:
    """One node's pub/sub connection and the task that feeds its messages to the queue."""

    def __init__(self, host: str, port: int, queue: asyncio.Queue[Message | Exception]) -> None:
        # No retries: a lost connection must reach the gateway, which subscribes again
        # and resends each room its last snapshot, since messages may have been missed.
        self.client = aioredis.Redis(
            host=host,
            port=port,
            socket_timeout=None,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self.pubsub = self.client.pubsub()
        self._queue = queue
        self.task: asyncio.Task[None] | None = None

    def start(self, name: str) -> None:
        """Read once subscribed: a pub/sub with no subscription would return at once."""
        if self.task is None:
            self.task = asyncio.create_task(self._feed(), name=f"shard-pubsub-{name}")

    async def _feed(self) -> None:
        try:
            while True:
                self._queue.put_nowait(await _next_published(self.pubsub))
        except Exception as exc:  # the reader's one supervising level: hand the loss over
            self._queue.put_nowait(exc)

    async def aclose(self) -> None:
        await stop_task(self.task)
        await self.pubsub.aclose()  # type: ignore[no-untyped-call]
        await self.client.aclose()


class _Cluster:
    """Each channel on a connection to the node that holds its slot."""

    def __init__(self, cluster: RedisCluster) -> None:
        self._cluster = cluster
        self._queue: asyncio.Queue[Message | Exception] = asyncio.Queue()
        self._feeds: dict[str, _NodeFeed] = {}  # node name -> its feed
        self._where: dict[str, str] = {}  # channel -> node name

    async def subscribe(self, *channels: str) -> None:
        for channel in channels:
            node = self._cluster.get_node_from_key(channel)
            assert node is not None  # raises for a slot no node covers
            feed = self._feeds.get(node.name)
            if feed is None:
                feed = self._feeds[node.name] = _NodeFeed(node.host, int(node.port), self._queue)
            await feed.pubsub.ssubscribe(channel)
            feed.start(node.name)
            self._where[channel] = node.name

    async def unsubscribe(self, channel: str) -> None:
        node = self._where.pop(channel, None)
        if node is not None and node in self._feeds:
            await self._feeds[node].pubsub.sunsubscribe(channel)

    async def next_message(self) -> Message:
        item = await self._queue.get()
        if isinstance(item, Exception):
            raise item
        return item

    async def reset(self) -> None:
        await self.aclose()
        self._queue = asyncio.Queue()
        await self._cluster.nodes_manager.initialize()  # where each slot lives now

    async def aclose(self) -> None:
        feeds, self._feeds, self._where = self._feeds, {}, {}
        for feed in feeds.values():
            await feed.aclose()


def shard_listener(client: Redis) -> ShardListener:
    """A listener on ``client``'s Valkey, or on every node of its cluster."""
    if isinstance(client, RedisCluster):
        return _Cluster(client)
    return _OneNode(client)
