"""The consumer's decisions, as pure functions: no Redis, no clock of their own.

How long a read may block while a batch fills, where to read a consumer's own
pending entries from next, and which reclaimed entries are past saving. The
consumer loop (:mod:`quizboard.streams.consumer`) only moves bytes around them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Identified(Protocol):
    @property
    def stream(self) -> str: ...

    @property
    def id(self) -> str: ...


E = TypeVar("E", bound=Identified)


@dataclass(slots=True)
class BatchWindow:
    """One batch being collected: it closes at ``size`` entries or ``interval`` seconds
    after its first entry, whichever comes first."""

    size: int
    interval: float
    idle_block_ms: int
    held: int = 0
    deadline: float = 0.0

    def next_block_ms(self, now: float) -> int | None:
        """How long the next read may block, in ms; ``None`` when the batch must close."""
        if self.held >= self.size:
            return None
        if self.held == 0:
            return self.idle_block_ms
        remaining = self.deadline - now
        if remaining <= 0:
            return None
        return max(1, int(remaining * 1000))

    def room(self) -> int:
        """How many more entries the batch takes."""
        return self.size - self.held

    def received(self, count: int, now: float) -> None:
        """``count`` entries arrived at ``now``; the first of the batch starts its clock."""
        if count and self.held == 0:
            self.deadline = now + self.interval
        self.held += count


def next_pending_ids(ids: Mapping[str, str], read: Sequence[Identified]) -> dict[str, str]:
    """Where to read a consumer's own pending entries from next, per stream.

    A stream moves on past the last entry just read from it; a stream that gave
    nothing has no pending entries left and is dropped.
    """
    after: dict[str, str] = {}
    for stream in ids:
        last = [e.id for e in read if e.stream == stream]
        if last:
            after[stream] = last[-1]
    return after


def past_saving(
    entries: Sequence[E], deliveries: Mapping[str, int], max_deliveries: int
) -> tuple[list[E], list[E]]:
    """Split reclaimed ``entries`` into (delivered too many times, to try again)."""
    hopeless = [e for e in entries if deliveries.get(e.id, 0) > max_deliveries]
    retry = [e for e in entries if deliveries.get(e.id, 0) <= max_deliveries]
    return hopeless, retry
