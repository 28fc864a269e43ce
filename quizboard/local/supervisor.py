"""Supervised child processes: start them, restart the ones that die, stop them all.

Each child runs in a session of its own, so a Ctrl-C in the terminal reaches
only the supervisor, which then stops the children in order: SIGTERM, a grace
period, then SIGKILL for any that did not exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from quizboard.local.lifecycle import die_with_parent

log = logging.getLogger(__name__)

GRACE = 10.0
FIRST_RESTART_DELAY = 0.5
MAX_RESTART_DELAY = 30.0
STABLE_AFTER = 10.0
PR_SET_PDEATHSIG = 1  # a child that ran this long restarts without delay growth


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A child process: its name in logs and its command line."""

    name: str
    argv: Sequence[str]


@dataclass(slots=True)
class Child:
    spec: ChildSpec
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0
    delay: float = FIRST_RESTART_DELAY
    started_at: float = field(default=0.0)


class Supervisor:
    """Keeps every child running until asked to stop."""

    def __init__(self, specs: Sequence[ChildSpec], env: Mapping[str, str]) -> None:
        self.children = {spec.name: Child(spec) for spec in specs}
        self._env = dict(env)

    def pids(self) -> dict[str, int]:
        """The pid of every child that is running now."""
        return {
            name: child.process.pid
            for name, child in self.children.items()
            if child.process is not None and child.process.returncode is None
        }

    async def run(self, stop: asyncio.Event) -> None:
        """Run the children until ``stop`` is set, then stop them all."""
        async with asyncio.TaskGroup() as tasks:
            for child in self.children.values():
                tasks.create_task(self._keep_running(child, stop), name=f"child-{child.spec.name}")

    async def _keep_running(self, child: Child, stop: asyncio.Event) -> None:
        while not stop.is_set():
            child.started_at = time.monotonic()
            process = child.process = await asyncio.create_subprocess_exec(
                *child.spec.argv,
                env=self._env,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            exited = asyncio.ensure_future(process.wait())
            stopping = asyncio.ensure_future(stop.wait())
            try:
                await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
            if stop.is_set():
                await self._terminate(child.spec.name, process)
                exited.cancel()
                return
            ran = time.monotonic() - child.started_at
            if ran > STABLE_AFTER:
                child.delay = FIRST_RESTART_DELAY
            child.restarts += 1
            log.error("%s exited with %s after %.1f s; restarting in %.1f s",
                      child.spec.name, process.returncode, ran, child.delay)  # fmt: skip
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), child.delay)
            child.delay = min(MAX_RESTART_DELAY, child.delay * 2)

    @staticmethod
    async def _terminate(name: str, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), GRACE)
        except TimeoutError:
            log.warning("%s did not stop within %.0f s; killing it", name, GRACE)
            process.kill()
            await process.wait()
        if process.returncode not in (0, -signal.SIGTERM):
            log.warning("%s stopped with exit code %s", name, process.returncode)


def quizboard_argv(*args: str) -> list[str]:
    """The command line that runs ``quizboard ARGS`` with this very interpreter."""
    return [sys.executable, "-m", "quizboard", *args]


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with ``extra`` on top."""
    return {**os.environ, **extra}
