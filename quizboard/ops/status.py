"""``quizboard status``: every stream and group at a glance, usable as a probe.

The groups each stream should have come from the group registry, so a group
that was never created (its worker never started) or never read an entry
while its stream has some is a problem too, not just a lag over a threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from redis.asyncio.cluster import RedisCluster

from quizboard.core.keys import JOINS, Keys
from quizboard.settings import Settings
from quizboard.store.connections import Redis, redis_for
from quizboard.store.stream_state import StreamStatus, stream_status
from quizboard.streams.groups import STREAM_KINDS, readers

NEVER_READ = "0-0"

#: Per stream key, the groups that should read it.
Expected = Mapping[str, tuple[str, ...]]


async def read_status(
    redis: Redis, keys: Keys, partitions: int
) -> tuple[list[StreamStatus], Expected, dict[int, int]]:
    """Every existing stream with its groups, the groups each should have, and the
    dead-letter count of each partition."""
    streams: list[StreamStatus] = []
    expected: dict[str, tuple[str, ...]] = {}
    for kind in STREAM_KINDS:
        for stream in keys.streams(partitions, kind):
            if await redis.exists(stream):
                streams.append(await stream_status(redis, stream, consumers=True))
                expected[stream] = readers(kind)
    dead = {p: int(await redis.xlen(keys.dead(p))) for p in range(partitions)}
    return streams, expected, dead


def missing(stream: StreamStatus, expected: Expected) -> list[str]:
    """The groups ``stream`` should have and does not, in registry order."""
    present = {g.name for g in stream.groups}
    return [name for name in expected.get(stream.stream, ()) if name not in present]


def render(streams: list[StreamStatus], expected: Expected, dead: dict[int, int]) -> list[str]:
    """The status as table lines."""
    lines = [
        f"{'stream':<22} {'length':>8}  {'group':<14} {'lag':>7} {'pending':>8} "
        f"{'oldest pending':<18} {'idle s':>7}  consumers (idle s)"
    ]
    for s in streams:
        for g in s.groups:
            who = ", ".join(f"{n} ({idle:.1f})" for n, idle in g.consumers) or "-"
            lines.append(
                f"{s.stream:<22} {s.length:>8}  {g.name:<14} {g.lag:>7} {g.pending:>8} "
                f"{g.oldest_pending or '-':<18} {g.oldest_idle_s:>7.1f}  {who}"
            )
        for name in missing(s, expected):
            lines.append(f"{s.stream:<22} {s.length:>8}  {name:<14} MISSING: no such group")
    lines.append("dead letters: " + ", ".join(f"p{p} {n}" for p, n in dead.items()))
    return lines


def problems(
    streams: list[StreamStatus], expected: Expected, max_lag: int, max_pending: int
) -> list[str]:
    """Groups missing, never started while entries wait, or over a threshold."""
    found = []
    for s in streams:
        for name in missing(s, expected):
            found.append(f"{s.stream} {name}: the group is missing; start its worker")
        for g in s.groups:
            if g.last_delivered == NEVER_READ and s.length > 0:
                found.append(f"{s.stream} {g.name}: has never read an entry; {s.length} wait")
            if g.lag > max_lag:
                found.append(f"{s.stream} {g.name}: lag {g.lag} > {max_lag}")
            if g.pending > max_pending:
                found.append(f"{s.stream} {g.name}: pending {g.pending} > {max_pending}")
    return found


def partition_nodes(redis: Redis, keys: Keys, partitions: int) -> tuple[dict[int, str], list[str]]:
    """Which node holds each partition, and every master (one Valkey: itself)."""
    if isinstance(redis, RedisCluster):
        where = {}
        for p in range(partitions):
            node = redis.get_node_from_key(keys.stream(p, JOINS))
            where[p] = node.name if node is not None else "?"
        return where, sorted(node.name for node in redis.get_primaries())
    address = redis.connection_pool.connection_kwargs
    name = f"{address.get('host', '?')}:{address.get('port', '?')}"
    return dict.fromkeys(range(partitions), name), [name]


def spread(where: dict[int, str], masters: list[str]) -> list[str]:
    """The partitions of each master, and a warning when some hold more than others."""
    held: dict[str, list[int]] = {master: [] for master in masters}
    for partition, node in where.items():
        held.setdefault(node, []).append(partition)
    lines = [
        f"partitions on {node}: " + (", ".join(f"p{p}" for p in ps) or "none")
        for node, ps in held.items()
    ]
    counts = [len(ps) for ps in held.values()]
    if max(counts) - min(counts) > 1:
        lines.append(
            f"WARNING: the partitions are spread unevenly over the {len(held)} masters "
            f"({min(counts)} to {max(counts)} each): the busiest master limits the throughput."
            " Use a multiple of 6 partitions, or move slots to balance them."
        )
    return lines


async def status_command(
    settings: Settings, max_lag: int, max_pending: int, echo: Callable[[str], None]
) -> int:
    """Print the table; 1 when a group is missing or over a threshold."""
    keys = Keys(settings.key_prefix)
    async with redis_for(settings) as redis:
        streams, expected, dead = await read_status(redis, keys, settings.partitions)
        where, masters = partition_nodes(redis, keys, settings.partitions)
    for line in render(streams, expected, dead):
        echo(line)
    for line in spread(where, masters):
        echo(line)
    over = problems(streams, expected, max_lag, max_pending)
    for line in over:
        echo(f"OVER THRESHOLD: {line}")
    return 1 if over else 0
