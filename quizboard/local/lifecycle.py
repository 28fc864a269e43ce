"""How quizboard processes live and die: run until a signal, and die with the parent."""

from __future__ import annotations

import asyncio
import ctypes
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` on uvloop; SIGTERM and SIGINT set ``stop`` and nothing else.

    ``main`` decides how to wind down: finish its batch, close its clients, stop
    its children. It is never cancelled from outside.
    """
    import uvloop

    async def runner() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        return await main(stop)

    return uvloop.run(runner())


def die_with_parent() -> None:
    """In a new child: get SIGTERM when the supervisor dies, however it dies.

    Children run in sessions of their own, so without this a supervisor killed
    with SIGKILL would leave them running. Linux only; elsewhere a no-op.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
