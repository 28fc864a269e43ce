"""The ``leaderboard`` group's sink: throttled snapshots published per quiz.

``lb-changes`` entries only say "quiz Q changed". For each quiz with changes
waiting, a task publishes a snapshot as soon as the throttle allows: at once
after a quiet interval, otherwise when the interval ends. The interval is a
Redis gate (``SET NX PX``), so any number of ``leaderboard`` workers together
publish at most one snapshot per quiz per interval. A change entry is acked
only after a snapshot taken after it went out. A team quiz's team board goes out
with each of its snapshots, with the same version.

The worker's client has no socket timeout, so each call is bounded here: a master
cut off by the network (or paused) holds back only its own quizzes' snapshots, and
a call that timed out is retried (a snapshot is versioned: one published twice is
harmless).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from quizboard.core.backoff import Backoff
from quizboard.core.errors import NotFound
from quizboard.core.events import CHANGE_DECODER, FIELD
from quizboard.core.failpoints import UNARMED, Failpoints
from quizboard.core.keys import Keys
from quizboard.core.leaderboard import MESSAGE_ENCODER, snapshot_message
from quizboard.core.models import QuizConfig
from quizboard.core.throttle import QuizThrottle
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.tracing import Tracing
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import SERVER_DOWN, Redis, in_time
from quizboard.store.leaderboard import read_snapshot
from quizboard.store.scripts import SnapshotArgs, SnapshotKeys, flat, source
from quizboard.store.teams import read_team_board
from quizboard.streams.entries import Entry

log = logging.getLogger(__name__)

TEAMS_KNOWN = 10_000  # the quizzes whose teams (or none) a publisher remembers


def _trace_of(entry: Entry) -> str:
    return CHANGE_DECODER.decode(entry.fields[FIELD.encode()]).trace


@dataclass(slots=True)
class _Quiz:
    partition: int
    throttle: QuizThrottle
    waiting: list[Entry] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class SnapshotPublisher:
    """A sink that acks its entries itself, once a snapshot covers them.

    Use it as an async context manager: it owns one task per quiz with changes
    waiting, and on exit waits for them to publish what they hold.
    """

    acks = True

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        interval_ms: int,
        top_n: int,
        group: str,
        clock: Callable[[], float] = time.monotonic,
        failpoints: Failpoints = UNARMED,
        metrics: WorkerMetrics | None = None,
        tracing: Tracing | None = None,
        catalog: QuizCatalog | None = None,
    ) -> None:
        self._tracing = tracing or Tracing()
        self._failpoints = failpoints
        self._metrics = metrics or WorkerMetrics()
        self._redis = redis
        self._keys = keys
        self._interval_ms = interval_ms
        self._top_n = top_n
        self._group = group
        self._clock = clock
        self._quizzes: dict[int, _Quiz] = {}
        self._catalog = catalog  # without one, no team boards
        self._teams: dict[int, QuizConfig | None] = {}  # a team quiz's config, or None
        self._tasks = asyncio.TaskGroup()
        self._store_and_publish = redis.register_script(source("store_snapshot.lua"))

    async def __aenter__(self) -> Self:
        await self._tasks.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._tasks.__aexit__(exc_type, exc, tb)

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        """Note the changes and make sure a task will publish them; never waits."""
        changes = [(e, CHANGE_DECODER.decode(e.fields[FIELD.encode()])) for e in entries]
        for entry, change in changes:
            quiz = self._quizzes.get(change.quiz_id)
            if quiz is None:
                partition = self._keys.partition_of_stream(entry.stream)
                quiz = _Quiz(partition, QuizThrottle(self._interval_ms / 1000))
                self._quizzes[change.quiz_id] = quiz
            quiz.waiting.append(entry)
            quiz.throttle.change()
            if quiz.task is None:
                quiz.task = self._tasks.create_task(
                    self._publish_while_waiting(change.quiz_id, quiz),
                    name=f"snapshots-quiz-{change.quiz_id}",
                )

    async def _publish_while_waiting(self, quiz_id: int, quiz: _Quiz) -> None:
        backoff = Backoff()
        gate = self._keys.quiz(quiz.partition, quiz_id).lb_gate
        try:
            while (at := quiz.throttle.next_attempt(self._clock())) is not None:
                await asyncio.sleep(max(0.0, at - self._clock()))
                try:
                    opened = self._redis.set(gate, b"1", nx=True, px=self._interval_ms)
                    if not await in_time(opened, "the snapshot gate"):
                        self._metrics.deferred.inc()
                        ttl_ms = await in_time(self._redis.pttl(gate), "the snapshot gate")
                        now = self._clock()
                        await asyncio.sleep(quiz.throttle.gate_held(now, ttl_ms / 1000) - now)
                        continue
                    covered, quiz.waiting = quiz.waiting, []
                    quiz.throttle.begin()
                    try:
                        parents = [t for e in covered if (t := _trace_of(e))]
                        with self._tracing.span("publish snapshot", parents, quiz_id=quiz_id):
                            await self._failpoints.reach("before-publish")
                            await in_time(self._publish(quiz.partition, quiz_id), "publishing")
                    except BaseException:
                        quiz.waiting[:0] = covered
                        quiz.throttle.failed()
                        raise
                    quiz.throttle.sent(self._clock())
                    await in_time(self._ack(covered), "acking the changes")
                    backoff.reset()
                except SERVER_DOWN as exc:
                    log.warning(
                        "quiz %s: cannot publish yet: %r", quiz_id, exc, extra={"quiz_id": quiz_id}
                    )
                    await backoff.wait()
                except Exception:  # a connection closed under it: a failure of this task
                    # would end the worker's; publishing again is safe (versions)
                    log.exception("quiz %s: publishing failed; retrying", quiz_id,
                                  extra={"quiz_id": quiz_id})  # fmt: skip
                    await backoff.wait()
        finally:
            quiz.task = None
            if not quiz.waiting:
                self._quizzes.pop(quiz_id, None)

    async def _publish(self, partition: int, quiz_id: int) -> None:
        snapshot = await read_snapshot(
            self._redis, self._keys, partition, quiz_id, limit=self._top_n, new_version=True
        )
        channel = self._keys.channel(partition, quiz_id)
        message = snapshot_message(snapshot)
        teams = b""
        if (config := await self._team_quiz(quiz_id)) is not None:
            board = await read_team_board(self._redis, self._keys, config, snapshot.version)
            teams = MESSAGE_ENCODER.encode(board)
        quiz = self._keys.quiz(partition, quiz_id)
        await self._store_and_publish(
            keys=flat(SnapshotKeys(quiz.lb_last, quiz.team_last)),
            args=flat(SnapshotArgs(snapshot.version, message, channel, teams)),
        )
        self._metrics.published.inc()
        self._metrics.observe_freshness(snapshot.as_of)

    async def _team_quiz(self, quiz_id: int) -> QuizConfig | None:
        """The quiz's config if it has teams. A quiz's teams cannot change once it
        has opened (and a quiz with changes has), so the answer is kept."""
        if self._catalog is None:
            return None
        if quiz_id not in self._teams:
            try:
                config: QuizConfig | None = await self._catalog.get(quiz_id)
            except NotFound:
                config = None
            if len(self._teams) >= TEAMS_KNOWN:
                self._teams.pop(next(iter(self._teams)))
            self._teams[quiz_id] = config if config is not None and config.teams else None
        return self._teams[quiz_id]

    async def redrive(self, group: str, dead: Sequence[tuple[Entry, str]]) -> None:
        """Put dead change notices back on their stream, which only this group reads."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for entry, dead_id in dead:
                CHANGE_DECODER.decode(entry.fields[FIELD.encode()])  # still poison: refuse
                pipe.xadd(entry.stream, dict(entry.fields))  # type: ignore[arg-type]
                pipe.xdel(self._keys.dead(self._keys.partition_of_stream(entry.stream)), dead_id)
            await pipe.execute()

    async def _ack(self, entries: Sequence[Entry]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for stream in {e.stream for e in entries}:
                pipe.xack(stream, self._group, *[e.id for e in entries if e.stream == stream])
            await pipe.execute()
