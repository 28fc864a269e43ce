"""Helpers of the tests that run on a cluster of their own: its client, emptied first,
and which master holds a partition."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis
from redis.asyncio.cluster import RedisCluster

from quizboard.core.keys import Keys
from quizboard.settings import Settings


@asynccontextmanager
async def emptied_cluster(settings: Settings) -> AsyncIterator[RedisCluster]:
    """A client of the cluster ``settings`` name, every master emptied first."""
    cluster = RedisCluster.from_url(settings.redis_url or "")
    await cluster.flushall(target_nodes=RedisCluster.PRIMARIES)
    try:
        yield cluster
    finally:
        await cluster.aclose()


def master_of(settings: Settings, partition: int) -> str:
    """The address of the master that holds ``partition``'s keys."""
    client = redis.RedisCluster.from_url(settings.redis_url or "")
    try:
        node = client.get_node_from_key(Keys(settings.key_prefix).tag(partition))  # type: ignore[no-untyped-call]
        return str(node.host)
    finally:
        client.close()
