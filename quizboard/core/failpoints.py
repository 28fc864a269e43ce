"""A test hook: stop a worker at a named point, so a test can SIGKILL it exactly there.

Set ``QUIZBOARD_TEST_PAUSE`` to a point (``after-copy``, ``after-commit``,
``before-apply``, ``before-publish``) and the worker, on reaching it, writes
``quizboard-test-pause POINT`` to stderr and waits for an hour. Unset, a pause
is a no-op await.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

Pause = Callable[[str], Awaitable[None]]
MARKER = "quizboard-test-pause"


async def no_pause(point: str) -> None:
    """Never pauses."""


def pause_at(point: str) -> Pause:
    """A pause that stops at ``point`` (and nowhere, for an empty point)."""
    if not point:
        return no_pause

    async def pause(at: str) -> None:
        if at == point:
            sys.stderr.write(f"{MARKER} {at}\n")
            sys.stderr.flush()
            await asyncio.sleep(3600)

    return pause
