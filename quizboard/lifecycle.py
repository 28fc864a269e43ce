"""Running a process's main coroutine until SIGTERM or SIGINT asks it to stop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


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
