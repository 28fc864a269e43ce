"""Moving a slot between a cluster's masters by hand, as ``valkey-cli --cluster reshard`` does."""

from __future__ import annotations

import asyncio
from typing import Any

import redis
import redis.asyncio as aioredis

from quizboard.local.cluster import EmbeddedCluster
from quizboard.local.embedded import HOST


async def on_node(port: int, *command: Any, asking: bool = False) -> Any:
    """One command straight to the node on ``port``, after ASKING if asked."""
    client = aioredis.Redis(host=HOST, port=port)
    try:
        if asking:
            async with client.pipeline(transaction=False) as pipe:
                pipe.execute_command("ASKING")
                pipe.execute_command(*command)
                return (await pipe.execute())[1]
        return await client.execute_command(*command)
    finally:
        await client.aclose()


async def start_moving(slot: int, source: int, target: int) -> None:
    """Mark ``slot`` as leaving ``source`` for ``target``: the source answers ASK for a
    key it does not have, and the target takes it after ASKING."""
    source_id, target_id = (
        await on_node(source, "CLUSTER", "MYID"),
        await on_node(target, "CLUSTER", "MYID"),
    )
    await on_node(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", source_id)
    await on_node(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", target_id)


async def move_slot(
    slot: int, source: int, target: int, masters: list[int], *, linger_s: float = 0.0
) -> int:
    """Move ``slot`` and its keys from ``source`` to ``target``, one key at a time; the
    keys moved. With ``linger_s`` the slot stays half moved that long after its first
    key, as a large slot does: a call on keys on both sides gets TRYAGAIN meanwhile."""
    await start_moving(slot, source, target)
    moved = 0
    while keys := await on_node(source, "CLUSTER", "GETKEYSINSLOT", slot, 100):
        for key in keys:
            await on_node(source, "MIGRATE", HOST, target, key, 0, 5000)
            moved += 1
            if moved == 1:
                await asyncio.sleep(linger_s)
    target_id = await on_node(target, "CLUSTER", "MYID")
    # The target first, then the source, then the rest: the order the reshard tool uses.
    for port in [target, source, *(p for p in masters if p not in (source, target))]:
        await on_node(port, "CLUSTER", "SETSLOT", slot, "NODE", target_id)
    return moved


def master_of(cluster: EmbeddedCluster, key: str) -> int:
    """The port of the master that holds ``key`` now."""
    any_port = next(p for p, n in cluster.nodes.items() if n.pid)
    client = redis.Redis(host=HOST, port=any_port)
    try:
        slot = int(client.cluster("KEYSLOT", key))
        for start, end, master, *_ in client.cluster("SLOTS"):
            if start <= slot <= end:
                return int(master[1])
    finally:
        client.close()
    raise AssertionError(f"no master holds {key!r}")
