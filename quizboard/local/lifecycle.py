"""How quizboard processes live and die: run until a signal, and die with the parent."""

from __future__ import annotations

import asyncio
import ctypes
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator
from types import FrameType
from typing import TextIO, TypeVar

T = TypeVar("T")
PR_SET_PDEATHSIG = 1


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run ``main(stop)`` on uvloop; SIGTERM and SIGINT set ``stop`` and nothing else.

    ``main`` decides how to wind down: finish its batch, close its clients, stop
    its children. It is never cancelled from outside. SIGUSR1 prints what every
    task is waiting on (:func:`dump_tasks`), for a process that seems stuck.
    """
    import uvloop

    async def runner() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
        return await main(stop)

    return uvloop.run(runner())


def dump_tasks(out: TextIO | None = None) -> None:
    """Write each task of the running loop with the line it waits at, to stderr."""
    out = out or sys.stderr
    tasks = asyncio.all_tasks()
    print(f"--- {len(tasks)} tasks ---", file=out)
    for task in sorted(tasks, key=lambda t: t.get_name()):
        print(f"{task.get_name()}:", file=out)
        for frame in _awaiting(task.get_coro()):
            code = frame.f_code
            print(f"    {code.co_filename}:{frame.f_lineno} in {code.co_name}", file=out)
    out.flush()


def _awaiting(awaitable: object) -> Iterator[FrameType]:
    """The frames of a suspended coroutine and of everything it awaits, outermost
    first (a task's own stack shows only its outermost frame)."""
    while awaitable is not None:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is not None:
            yield frame
        awaitable = (getattr(awaitable, "cr_await", None)
                     or getattr(awaitable, "gi_yieldfrom", None))  # fmt: skip


def die_with_parent() -> None:
    """In a new child: get SIGTERM when the supervisor dies, however it dies.

    Children run in sessions of their own, so without this a supervisor killed
    with SIGKILL would leave them running. Linux only; elsewhere a no-op.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
