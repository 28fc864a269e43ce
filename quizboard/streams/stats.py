"""Stream and group state for the metrics: length, lag, pending, oldest pending idle time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from quizboard.connections import SERVER_DOWN, Redis, text
from quizboard.metrics import WorkerMetrics


async def refresh(redis: Redis, metrics: WorkerMetrics, streams: Sequence[str]) -> None:
    """Read every group of ``streams`` once and set the gauges."""
    for stream in streams:
        if not await redis.exists(stream):
            continue
        metrics.stream_length.labels(stream).set(await redis.xlen(stream))
        groups: Any = await redis.xinfo_groups(stream)
        for group in groups:
            name = text(group["name"])
            metrics.lag.labels(stream, name).set(int(group.get("lag") or 0))
            metrics.pending.labels(stream, name).set(int(group["pending"]))
            oldest: Any = await redis.xpending_range(stream, name, "-", "+", 1)
            idle = oldest[0]["time_since_delivered"] / 1000 if oldest else 0.0
            metrics.oldest_pending.labels(stream, name).set(idle)


async def refresh_forever(
    redis: Redis,
    metrics: WorkerMetrics,
    streams: Sequence[str],
    stop: asyncio.Event,
    every: float = 5.0,
) -> None:
    """Refresh the gauges every ``every`` seconds until ``stop``."""
    while not stop.is_set():
        with contextlib.suppress(*SERVER_DOWN):
            await refresh(redis, metrics, streams)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
