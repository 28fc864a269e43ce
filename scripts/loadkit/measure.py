"""Pure measurement: percentiles, per-second timelines, and stream-id arithmetic."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of ``values`` (empty: all zero), in the values' unit."""
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": ordered[-1],
        "count": len(ordered),
    }


def stream_id(text: str) -> tuple[int, int]:
    """A stream entry id as a comparable pair."""
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def first_covering(
    observations: Sequence[tuple[float, tuple[int, int]]], events: Iterable[tuple[float, str]]
) -> list[float]:
    """For each ``(accepted_at, event_id)``, the delay until an observation covered it.

    ``observations`` are ``(time, id)`` with ids that only grow over time: "every
    event up to this id is applied". Events never covered are left out.
    """
    times = [t for t, _ in observations]
    ids = [i for _, i in observations]
    running: list[tuple[int, int]] = []
    best = (0, 0)
    for entry in ids:  # make the ids monotonic, in case of a stale read
        best = max(best, entry)
        running.append(best)
    delays = []
    for accepted_at, event_id in events:
        wanted = stream_id(event_id)
        index = bisect.bisect_left(running, wanted)
        if index == len(running):
            continue
        # The observation must also come after the acceptance itself.
        start = bisect.bisect_left(times, accepted_at)
        index = max(index, start)
        if index < len(times):
            delays.append(max(0.0, times[index] - accepted_at))
    return delays


def timeline(stamps: Iterable[float], start: float, width: float = 1.0) -> list[int]:
    """How many ``stamps`` fall in each ``width``-second bucket from ``start``."""
    buckets: list[int] = []
    for stamp in stamps:
        index = int((stamp - start) / width)
        if index < 0:
            continue
        while len(buckets) <= index:
            buckets.append(0)
        buckets[index] += 1
    return buckets
