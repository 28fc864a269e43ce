"""Where each consumer group stands on a stream: lag, pending entries, consumers.

The status command, the metrics, the trimmer and reconcile all read a stream's
groups through :func:`stream_status`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quizboard.store.connections import Redis, text


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
