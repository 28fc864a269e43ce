"""The intake's writes on a real cluster: one per node, and a MOVED or ASK call sent again."""

from __future__ import annotations

from pathlib import Path

from quizboard.local.cluster import EmbeddedCluster
from quizboard.store.connections import redis_client
from quizboard.store.pipelines import Call, send_calls
from tests.support.resharding import on_node, start_moving


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
            # The slot is on its way from source to target: source answers ASK for a key
            # it does not have, and target takes the call after ASKING.
            await start_moving(slot, int(source.port), int(target.port))
            sent = await send_calls(cluster, [Call(key, ("INCR", key))])
            assert sent[0].reply == 1
            assert await on_node(target.port, "EXISTS", key, asking=True) == 1
            assert await on_node(source.port, "CLUSTER", "COUNTKEYSINSLOT", slot) == 0
