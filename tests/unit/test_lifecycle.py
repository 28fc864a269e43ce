"""What a stuck process prints on SIGUSR1: every task and the line it waits at."""

from __future__ import annotations

import asyncio
import io

from quizboard.local.lifecycle import dump_tasks


async def _held(release: asyncio.Event) -> None:
    await release.wait()


async def _holder(release: asyncio.Event) -> None:
    await _held(release)


async def test_dump_tasks_shows_each_task_down_to_what_it_awaits() -> None:
    release = asyncio.Event()
    task = asyncio.create_task(_holder(release), name="the-holder")
    await asyncio.sleep(0)
    out = io.StringIO()
    dump_tasks(out)
    release.set()
    await task
    text = out.getvalue()
    assert text.splitlines()[0].endswith(" tasks ---")  # every task of the loop, counted
    holder = text[text.index("the-holder:") :]
    # outermost first: the task's coroutine, what it awaits, then the event's wait
    assert holder.index("in _holder") < holder.index("in _held") < holder.index("in wait")
