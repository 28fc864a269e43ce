"""Failpoints: named moments in a worker where a test can stop it, to crash it right there.

The technique is FoundationDB's and TiKV's (``fail-rs``): the code marks the
moments that matter for crash safety, such as between a batch's COPY and its
commit, and a test arms one of them by name. A worker started with
``QUIZBOARD_TEST_PAUSE=after-copy`` writes ``quizboard-failpoint after-copy``
to stderr on reaching that point and then waits for an hour, so the test can
SIGKILL it at that very moment and check that nothing is lost or counted twice.

Unarmed (the default, and always in production), reaching a failpoint costs
one string comparison per batch; nothing is written and nothing waits.
"""

from __future__ import annotations

import asyncio
import sys

from quizboard.core.errors import ConfigError

MARKER = "quizboard-failpoint"
HOLD_SECONDS = 3600.0

#: Every failpoint the workers mark, and where.
POINTS: dict[str, str] = {
    "after-copy": "a PostgreSQL sink copied its batch but has not committed",
    "after-commit": "a PostgreSQL sink committed its batch but has not acked it",
    "before-apply": "a Redis sink decoded its batch but has not run its script",
    "before-publish": "the snapshot publisher holds the gate but has not published",
}


class Failpoints:
    """The failpoints of one process, with at most one armed."""

    __slots__ = ("armed",)

    def __init__(self, armed: str = "") -> None:
        if armed and armed not in POINTS:
            raise ConfigError(
                f"unknown failpoint {armed!r}; choose from {', '.join(sorted(POINTS))}"
            )
        self.armed = armed

    async def reach(self, point: str) -> None:
        """Mark ``point``: if it is the armed one, announce it on stderr and hold."""
        if point != self.armed:
            return
        sys.stderr.write(f"{MARKER} {point}\n")
        sys.stderr.flush()
        await asyncio.sleep(HOLD_SECONDS)


#: No failpoint armed: what every sink uses unless a test says otherwise.
UNARMED = Failpoints()
