"""A test about to time out writes where each of its asyncio tasks waits.

pytest-timeout shows the threads' stacks, which for an async test is only the
event loop in ``select``. A few seconds before the timeout, this prints every
task of each running loop with the chain of awaits it is suspended in, so a
hang that happens only in CI still says which await never returned.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

WARN_BEFORE_S = 5.0


def _awaits(task: asyncio.Task[Any]) -> Iterator[str]:
    """The frames ``task``'s coroutine is suspended in, outermost first."""
    coro: Any = task.get_coro()
    while coro is not None:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:  # a future, or a task awaited: what it is
            yield f"    awaiting {coro!r:.300}"
            return
        yield f"    {frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)


def dump_tasks(title: str) -> None:
    """Every task of every running event loop, to the real stderr (read racily: the
    loop goes on in its own thread, and this is for reading, not for acting on)."""
    out = [f"\n=== {title}: the tasks of each running event loop"]
    for loop in [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]:
        if not loop.is_running():
            continue
        for task in list(asyncio.all_tasks(loop)):
            out.append(f"--- {task.get_name()}: {task.get_coro()!r}")
            out.extend(_awaits(task))
    (sys.__stderr__ or sys.stderr).write("\n".join(out) + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("timeout")
    timeout = float(marker.args[0]) if marker and marker.args else float(
        item.config.getini("timeout") or 0)  # fmt: skip
    timer = None
    if timeout > WARN_BEFORE_S:
        timer = threading.Timer(timeout - WARN_BEFORE_S, dump_tasks, [item.nodeid])
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
