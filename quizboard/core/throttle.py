"""The snapshot throttle's decisions, as pure functions of an injected clock.

At most one snapshot per quiz per interval, on both edges: the first change
after a quiet interval goes out at once (leading edge), and a change that
arrives while the interval is running goes out when it ends (trailing edge),
so the final state is never more than one interval late.

Across processes the interval is a Redis gate (``SET NX PX``); this module
decides when to try the gate and how long to wait when another worker holds it.
It never looks at a clock itself: every function takes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class QuizThrottle:
    """What one worker knows about one quiz's snapshots."""

    interval: float
    last_sent: float | None = None
    dirty: bool = False

    def change(self) -> None:
        """A change arrived that no snapshot covers yet."""
        self.dirty = True

    def next_attempt(self, now: float) -> float | None:
        """When to try the gate: ``now`` or later, or ``None`` when nothing is waiting."""
        if not self.dirty:
            return None
        if self.last_sent is None:
            return now
        return max(now, self.last_sent + self.interval)

    def gate_held(self, now: float, gate_ttl: float) -> float:
        """Another worker holds the gate for ``gate_ttl`` more seconds: when to try again."""
        return now + max(gate_ttl, 0.001)

    def begin(self) -> None:
        """A snapshot is being taken: it covers every change so far, not later ones."""
        self.dirty = False

    def failed(self) -> None:
        """The snapshot did not go out: its changes still wait."""
        self.dirty = True

    def sent(self, now: float) -> None:
        """The snapshot begun last went out at ``now``."""
        self.last_sent = now
