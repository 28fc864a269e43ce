"""Whether a soak run grew: the verdict on its samples, kept pure so it can be tested.

Each sample holds, at one moment, every role's resident memory and open file
descriptors (summed over its processes, as a restarted worker changes pid), Valkey's
memory and key count, the entries left in the streams, the groups' lag and
PostgreSQL's size. File descriptors are judged once the load has stopped: every
watcher has gone by then, and what is still open may not exceed the peak under load
(pools keep the connections a load opened; a leak keeps adding). A run has three
parts: a baseline before the load, samples under load (the first ``warmup`` share
of them left out: caches fill, pools open), and a sample after the load once the
ended quizzes' retention has passed.

Valkey's resident memory is judged above its high-water mark: its allocator keeps the
pages of the largest working set it has held (redis.io's memory guide: "provision
memory based on your peak memory usage"), so its RSS rises in steps whenever a node
holds more than ever before (on a cluster, the first time two big quizzes share a
master) and never comes down. That is not a leak; RSS that rises while the peak of
used memory does not (fragmentation, buffers) is. Data left behind shows in the
keys and the stream entries after the retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

MB = 1 << 20
VALKEY = "valkey"  # the role of the Valkey servers, summed


@dataclass
class Sample:
    """What was measured at ``at`` seconds into the run."""

    at: float
    rss: dict[str, int] = field(default_factory=dict)  # role: bytes
    fds: dict[str, int] = field(default_factory=dict)  # role: open file descriptors
    valkey_bytes: int = 0  # used memory, summed over the masters
    valkey_peak_bytes: int = 0  # the peak of used memory, summed over every node
    keys: int = 0
    stream_entries: int = 0
    lag: int = 0
    postgres_bytes: int = 0


@dataclass(frozen=True)
class Limits:
    """How much growth counts as a leak."""

    rss_per_hour: float = 0.01  # of the role's mean resident memory, after warm-up
    rss_slack: int = 8 * MB  # growth any run may show in its span (noise of short runs)
    fd_slack: int = 8  # file descriptors, once the load has stopped, above its peak
    key_slack: int = 16  # keys above the baseline once the retention has passed
    stream_slack: int = 1000  # entries left in the streams once everything is acked


def slope(points: Sequence[tuple[float, float]]) -> float:
    """The least-squares slope of ``points`` (per unit of their first coordinate)."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread


def resident(sample: Sample, role: str) -> int:
    """The resident memory judged for ``role``: Valkey's above its high-water mark
    (when the sample has it), every other role's whole."""
    if role == VALKEY and sample.valkey_peak_bytes:
        return sample.rss[role] - sample.valkey_peak_bytes
    return sample.rss[role]


def under_load(loaded: Sequence[Sample], warmup: float) -> list[Sample]:
    """The samples under load after the warm-up share."""
    return list(loaded[int(len(loaded) * warmup) :])


def findings(
    baseline: Sample,
    loaded: Sequence[Sample],
    after: Sample,
    limits: Limits = Limits(),
    warmup: float = 0.4,
) -> list[str]:
    """Each sign of growth in the run, as a sentence; none means it did not grow."""
    found: list[str] = []
    measured = under_load(loaded, warmup)
    if len(measured) >= 2:
        span_h = (measured[-1].at - measured[0].at) / 3600
        for role in sorted(measured[-1].rss):
            points = [(s.at / 3600, float(resident(s, role))) for s in measured if role in s.rss]
            if len(points) < 2:
                continue
            mean = sum(float(s.rss[role]) for s in measured if role in s.rss) / len(points)
            per_hour = slope(points)
            grown = per_hour * span_h
            if per_hour > limits.rss_per_hour * mean and grown > limits.rss_slack:
                peaked = role == VALKEY and measured[-1].valkey_peak_bytes
                above = " above its peak of used memory" if peaked else ""
                found.append(
                    f"{role}: resident memory{above} grew {per_hour / mean:.1%} an hour "
                    f"({grown / MB:.1f} MB over {span_h * 60:.0f} min)"
                )
        lags = [s.lag for s in measured]
        third = max(1, len(lags) // 3)
        first, last = lags[:third], lags[-third:]
        if sum(last) / len(last) > 2 * sum(first) / len(first) + 1000:
            found.append(f"lag grew under load: {first} at first, {last} at the end")
    for role, count in sorted(after.fds.items()):
        # Pools keep the connections the load opened: the bound is the peak under load.
        peak = max([baseline.fds.get(role, 0), *(s.fds.get(role, 0) for s in measured)])
        if count > peak + limits.fd_slack:
            found.append(
                f"{role}: {count} file descriptors open after the load, at most {peak} under it"
            )
    if after.keys > baseline.keys + limits.key_slack:
        found.append(
            f"Valkey holds {after.keys} keys after the retention, {baseline.keys} before the load"
        )
    if after.stream_entries > limits.stream_slack:
        found.append(f"the streams kept {after.stream_entries} entries after everything was acked")
    if after.lag:
        found.append(f"{after.lag} entries still unread after the load")
    return found
