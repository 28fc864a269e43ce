"""The timer of live quizzes: publish the results of each question whose time ran out.

A question closes for answers at its ``closes_at`` by itself (the accepting
script checks the time). What nobody asks for is its results message: this
sweep, a task of its own in every worker of a group marked ``closes_questions``
(``leaderboard``; see :mod:`quizboard.streams.groups`), looks every
:data:`SWEEP_S` for the questions due in each partition and closes them. The close script checks the
time again on Valkey's clock and publishes once, so many workers sweeping the
same partitions publish each question's results once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from quizboard.core.backoff import Backoff
from quizboard.store.connections import SERVER_DOWN, in_time
from quizboard.store.live import SWEEP_S, LiveQuizzes

log = logging.getLogger(__name__)


class QuestionCloser:
    """Sweeps the partitions for questions whose time is up."""

    def __init__(self, live: LiveQuizzes, partitions: int, interval_s: float = SWEEP_S) -> None:
        self._live = live
        self._partitions = partitions
        self._interval_s = interval_s

    async def sweep(self) -> int:
        """Close what is due now in every partition; how many quizzes were due."""
        now_ms = int(time.time() * 1000)
        due = 0
        for partition in range(self._partitions):
            quiz_ids = await self._live.due(partition, now_ms)
            await self._live.close_due(partition, quiz_ids)
            due += len(quiz_ids)
        return due

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep every interval until ``stop`` is set; retry with backoff while Redis is
        down."""
        backoff = Backoff()
        while not stop.is_set():
            try:
                await in_time(self.sweep(), "closing live questions")
                backoff.reset()
                await _wait(stop, self._interval_s)
            except SERVER_DOWN as exc:
                log.warning("closing live questions: %r; retrying", exc)
                await backoff.wait()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less when ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
