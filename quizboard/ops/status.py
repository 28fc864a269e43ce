"""``quizboard status``: every stream and group at a glance, usable as a probe."""

from __future__ import annotations

from collections.abc import Callable

from quizboard.core.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.settings import Settings
from quizboard.store.connections import Redis, redis_client
from quizboard.store.stream_state import StreamStatus, stream_status


async def read_status(
    redis: Redis, keys: Keys, partitions: int
) -> tuple[list[StreamStatus], dict[int, int]]:
    """Every existing stream with its groups, and the dead-letter count of each partition."""
    streams: list[StreamStatus] = []
    for kind in (JOINS, ANSWERS, LB_CHANGES):
        for stream in keys.streams(partitions, kind):
            if await redis.exists(stream):
                streams.append(await stream_status(redis, stream, consumers=True))
    dead = {p: int(await redis.xlen(keys.dead(p))) for p in range(partitions)}
    return streams, dead


def render(streams: list[StreamStatus], dead: dict[int, int]) -> list[str]:
    """The status as table lines."""
    lines = [
        f"{'stream':<22} {'length':>8}  {'group':<14} {'lag':>7} {'pending':>8} "
        f"{'oldest pending':<18} {'idle s':>7}  consumers (idle s)"
    ]
    for s in streams:
        if not s.groups:
            lines.append(f"{s.stream:<22} {s.length:>8}  (no group)")
        for g in s.groups:
            who = ", ".join(f"{n} ({idle:.1f})" for n, idle in g.consumers) or "-"
            lines.append(
                f"{s.stream:<22} {s.length:>8}  {g.name:<14} {g.lag:>7} {g.pending:>8} "
                f"{g.oldest_pending or '-':<18} {g.oldest_idle_s:>7.1f}  {who}"
            )
    lines.append("dead letters: " + ", ".join(f"p{p} {n}" for p, n in dead.items()))
    return lines


def problems(streams: list[StreamStatus], max_lag: int, max_pending: int) -> list[str]:
    """Groups over a threshold."""
    found = []
    for s in streams:
        for g in s.groups:
            if g.lag > max_lag:
                found.append(f"{s.stream} {g.name}: lag {g.lag} > {max_lag}")
            if g.pending > max_pending:
                found.append(f"{s.stream} {g.name}: pending {g.pending} > {max_pending}")
    return found


async def status_command(
    settings: Settings, max_lag: int, max_pending: int, echo: Callable[[str], None]
) -> int:
    """Print the table; 1 when a group is over a threshold."""
    keys = Keys(settings.key_prefix)
    async with redis_client(settings.redis_url) as redis:
        streams, dead = await read_status(redis, keys, settings.partitions)
    for line in render(streams, dead):
        echo(line)
    over = problems(streams, max_lag, max_pending)
    for line in over:
        echo(f"OVER THRESHOLD: {line}")
    return 1 if over else 0
