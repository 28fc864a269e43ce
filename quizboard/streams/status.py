"""``quizboard status``: every stream and group at a glance, usable as a probe."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quizboard.connections import Redis, redis_client, text
from quizboard.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.settings import Settings


@dataclass
class GroupStatus:
    """Where one group stands on one stream."""

    name: str
    last_delivered: str
    lag: int
    pending: int
    oldest_pending: str | None
    oldest_idle_s: float
    consumers: list[tuple[str, float]] = field(default_factory=list)  # (name, idle s)


@dataclass
class StreamStatus:
    stream: str
    length: int
    groups: list[GroupStatus]


async def stream_status(redis: Redis, stream: str, consumers: bool = False) -> StreamStatus:
    """One stream and every group on it (with each group's consumers if asked).

    The status command, the metrics, the trimmer and reconcile all read a
    stream's groups through this one function.
    """
    groups: list[GroupStatus] = []
    infos: Any = await redis.xinfo_groups(stream)
    for info in infos:
        name = text(info["name"])
        oldest: Any = await redis.xpending_range(stream, name, "-", "+", 1)
        members: Any = await redis.xinfo_consumers(stream, name) if consumers else []
        groups.append(
            GroupStatus(
                name=name,
                last_delivered=text(info["last-delivered-id"]),
                lag=int(info.get("lag") or 0),
                pending=int(info["pending"]),
                oldest_pending=text(oldest[0]["message_id"]) if oldest else None,
                oldest_idle_s=oldest[0]["time_since_delivered"] / 1000 if oldest else 0.0,
                consumers=[(text(c["name"]), int(c["idle"]) / 1000) for c in members],
            )
        )
    return StreamStatus(stream, int(await redis.xlen(stream)), groups)


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
