"""Stream and group state for the metrics: length, lag, pending, oldest pending idle time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from quizboard.observe.metrics import WorkerMetrics
from quizboard.store.connections import SERVER_DOWN, Redis, in_time
from quizboard.store.stream_state import stream_status


async def refresh(
    redis: Redis, metrics: WorkerMetrics, streams: Sequence[str], readers: Sequence[str]
) -> None:
    """Read every group of ``streams`` once and set the gauges.

    ``readers`` are the groups that should exist on each stream: one that does not
    is counted as missing, since it has no lag to show.
    """
    for stream in streams:
        if not await redis.exists(stream):
            continue
        status = await stream_status(redis, stream)
        metrics.stream_length.labels(stream).set(status.length)
        present = {group.name for group in status.groups}
        for name in readers:
            metrics.missing.labels(stream, name).set(0 if name in present else 1)
        for group in status.groups:
            metrics.lag.labels(stream, group.name).set(group.lag)
            metrics.pending.labels(stream, group.name).set(group.pending)
            metrics.oldest_pending.labels(stream, group.name).set(group.oldest_idle_s)


async def refresh_forever(
    redis: Redis,
    metrics: WorkerMetrics,
    streams: Sequence[str],
    readers: Sequence[str],
    stop: asyncio.Event,
    every: float = 5.0,
) -> None:
    """Refresh the gauges every ``every`` seconds until ``stop``."""
    while not stop.is_set():
        with contextlib.suppress(*SERVER_DOWN):
            await in_time(refresh(redis, metrics, streams, readers), "the stream gauges")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
