"""The intake's writes on a real cluster: one per node, and a MOVED or ASK call sent again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from quizboard.local.cluster import EmbeddedCluster
from quizboard.store.connections import redis_client
from quizboard.store.pipelines import Call, send_calls


async def test_calls_go_to_the_nodes_that_hold_their_keys_with_a_trailer_each(
    cluster_url: str,
) -> None:
    async with redis_client(cluster_url, cluster=True) as cluster:
        keys = [f"test:{{k{i}}}:calls" for i in range(12)]
        await cluster.delete(*keys)
        sent = await send_calls(cluster, [Call(k, ("INCR", k)) for k in keys], [("PING",)])
        assert [s.reply for s in sent] == [1] * len(keys)
        assert all(s.trailer == [b"PONG"] for s in sent)
        nodes = {str(cluster.get_node_from_key(k)) for k in keys}
        assert len(nodes) == 3  # the keys span every master, and each ran once
        assert [int(await cluster.get(k)) for k in keys] == [1] * len(keys)


async def test_a_call_answered_moved_is_sent_again_to_the_right_node_and_runs_once(
    cluster_url: str,
) -> None:
    async with redis_client(cluster_url, cluster=True) as cluster:
        key = "test:{moved}:counter"
        await cluster.delete(key)
        right = cluster.get_node_from_key(key)
        assert right is not None
        wrong = next(n for n in cluster.get_primaries() if n.name != right.name)
        # A stale slot map, as after a failover or a resharding: the call goes astray.
        cluster.nodes_manager.slots_cache[cluster.keyslot(key)] = [wrong]
        sent = await send_calls(cluster, [Call(key, ("INCR", key))])
        assert sent[0].reply == 1
        assert await cluster.get(key) == b"1"
        node = cluster.get_node_from_key(key)
        assert node is not None
        assert node.name == right.name  # the map was refreshed


async def test_a_call_answered_ask_goes_to_the_importing_node_after_asking(
    tmp_path: Path,
) -> None:
    with EmbeddedCluster(tmp_path / "cluster", replicas=0) as nodes:
        async with redis_client(nodes.url, cluster=True) as cluster:
            key = "test:{ask}:counter"
            slot = cluster.keyslot(key)
            source = cluster.get_node_from_key(key)
            assert source is not None
            target = next(n for n in cluster.get_primaries() if n.name != source.name)
            ids = {n.name: await by_hand(n.port, "CLUSTER", "MYID") for n in (source, target)}
            # The slot is on its way from source to target: source answers ASK for a key
            # it does not have, and target takes the call after ASKING.
            await by_hand(target.port, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source.name])
            await by_hand(source.port, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[target.name])
            sent = await send_calls(cluster, [Call(key, ("INCR", key))])
            assert sent[0].reply == 1
            assert await by_hand(target.port, "EXISTS", key, asking=True) == 1
            assert await by_hand(source.port, "CLUSTER", "COUNTKEYSINSLOT", slot) == 0


async def by_hand(port: int, *command: Any, asking: bool = False) -> Any:
    """One command straight to the node on ``port``, after ASKING if asked."""
    client = aioredis.Redis(host="127.0.0.1", port=port)
    try:
        if asking:
            async with client.pipeline(transaction=False) as pipe:
                pipe.execute_command("ASKING")
                pipe.execute_command(*command)
                return (await pipe.execute())[1]
        return await client.execute_command(*command)
    finally:
        await client.aclose()
