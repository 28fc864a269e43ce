"""A live quiz's state in Redis, and the scripts that move it.

The state is a hash under the quiz's partition tag (:attr:`QuizKeys.live`):
the phase, the open question with its times and its message. Each move (open
the next question, close one, finish) is one Lua script, so it is atomic with
the answers the accepting script takes (see :mod:`quizboard.api.intake`), and
each publishes its message on the quiz's channel from inside the script: the
messages of one quiz leave in the order of its moves, with no throttle. The
scripts are ``lua/next_question.lua``, ``close_question.lua``, ``finish.lua`` and
``live_state.lua``; what a gateway replays to a newcomer is in
:mod:`quizboard.store.live_replay`.

Every script reads the time from Valkey's ``TIME``: one clock per partition
decides when a question opened, when it closes and how long each answer took,
whichever API process asked. So API hosts need no clock sync.

A question closes by itself at ``closes_at``: the accepting script refuses an
answer after it, and :meth:`LiveQuizzes.close_due` (run by the closing sweep,
:mod:`quizboard.streams.closer`, every :data:`SWEEP_S`) publishes the results
of the questions whose time is up, listed by when they close in
:meth:`Keys.closing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from quizboard.core.errors import Conflict
from quizboard.core.events import ENCODER, ChangeEvent
from quizboard.core.keys import LB_CHANGES, Keys
from quizboard.core.live import (
    LiveState,
    QuizFinished,
    buckets,
    head,
    phase_at,
    question_head,
    results_head,
)
from quizboard.core.models import QuizConfig
from quizboard.core.questions import public_question
from quizboard.store.connections import Redis, text
from quizboard.store.scripts import (
    CloseArgs,
    FinishArgs,
    FinishKeys,
    LiveKeys,
    NextArgs,
    StateKeys,
    flat,
    source,
)

SWEEP_S = 0.05


@dataclass(frozen=True, slots=True)
class Closed:
    """A question that closed, and when."""

    question_id: int
    at_ms: int


@dataclass(frozen=True, slots=True)
class Moved:
    """What a host's move did: when; the question it opened, if any, and until when;
    the question that was open before it, and when that one closed."""

    at_ms: int
    previous: Closed | None
    opened: int | None = None
    closes_ms: int | None = None


class LiveQuizzes:
    """Moves live quizzes and reads their state, through one Redis client."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._close = redis.register_script(source("close_question.lua"))
        self._next = redis.register_script(source("next_question.lua"))
        self._finish = redis.register_script(source("finish.lua"))
        self._state = redis.register_script(source("live_state.lua"))

    def _live_keys(self, partition: int, quiz_id: int) -> LiveKeys:
        quiz = self._keys.quiz(partition, quiz_id)
        return LiveKeys(quiz.live, quiz.tally, quiz.players, self._keys.closing(partition))

    def _channel(self, config: QuizConfig) -> str:
        return self._keys.channel(config.partition, config.id)

    async def next(self, config: QuizConfig) -> Moved:
        """Open the question after the current one (closing that first); 409
        ``no_more_questions`` after the last, ``quiz_finished`` once finished."""
        _require_live(config)
        seen = await self.state(config)
        position = seen.question.position if seen.question is not None else 0
        while True:
            if seen.phase == "finished":
                raise Conflict(f"quiz {config.id} is finished", code="quiz_finished")
            if position >= len(config.questions):
                raise Conflict(
                    f"quiz {config.id} has no question after {position}; finish it",
                    code="no_more_questions",
                )
            question = config.questions[position]
            args = NextArgs(
                self._channel(config), config.id, position, question.id, question.position,
                (question.time_limit_s or 0) * 1000, question.points, buckets(question),
                results_head(config.id, question), question_head(config.id, question),
            )  # fmt: skip
            reply = await self._next(
                keys=flat(self._live_keys(config.partition, config.id)), args=flat(args)
            )
            outcome = text(reply[0])
            if outcome == "finished":
                seen = msgspec.structs.replace(seen, phase="finished")
                continue
            if outcome == "moved":  # another host call moved first: go on from there
                position = int(reply[1])
                continue
            closes = text(reply[2])
            return Moved(int(reply[1]), _closed(reply[3], reply[4]), question.id,
                         int(closes) if closes else None)  # fmt: skip

    async def reveal(self, config: QuizConfig) -> Closed | None:
        """Close the open question now and publish its results: which and when, or
        ``None`` when no question was open (it ran out, or was revealed, before)."""
        _require_live(config)
        reply = await self._close(
            keys=flat(self._live_keys(config.partition, config.id)),
            args=flat(CloseArgs(self._channel(config), config.id, "1")),
        )
        return _closed(reply[0], reply[1]) if reply else None

    async def finish(self, config: QuizConfig) -> Moved | None:
        """End the quiz, closing its open question; ``None`` when it had ended before."""
        _require_live(config)
        live = self._live_keys(config.partition, config.id)
        changes = self._keys.stream(config.partition, LB_CHANGES)
        keys = FinishKeys(live.live, live.tally, live.players, live.closing, changes)
        args = FinishArgs(
            self._channel(config),
            config.id,
            head(QuizFinished(config.id)),
            ENCODER.encode(ChangeEvent(config.id)),
        )
        reply = await self._finish(keys=flat(keys), args=flat(args))
        if text(reply[0]) == "finished":
            return None
        return Moved(int(reply[1]), _closed(reply[2], reply[3]))

    async def state(self, config: QuizConfig) -> LiveState:
        """Where the quiz is now, on Valkey's clock."""
        quiz = self._keys.quiz(config.partition, config.id)
        reply = await self._state(keys=flat(StateKeys(quiz.live, quiz.tally, quiz.players)))
        phase, question_id, opened, closes, answered, players, now = reply
        closes_ms = int(closes) if closes is not None else None
        question = None if question_id is None else config.question(int(question_id))
        return LiveState(
            mode=config.mode,
            phase=phase_at(None if phase is None else text(phase), closes_ms, int(now)),
            question=None if question is None else public_question(question),
            opened_at=int(opened) if opened is not None else None,
            closes_at=closes_ms,
            server_time=int(now),
            answered=None if question is None else int(answered or 0),
            total_players=int(players),
        )

    async def close_due(self, partition: int, quiz_ids: list[int]) -> None:
        """Close (and publish the results of) the questions of ``quiz_ids`` whose time is
        up; the script checks on Valkey's clock, so a quiz not yet due is left alone."""
        for quiz_id in quiz_ids:
            await self._close(
                keys=flat(self._live_keys(partition, quiz_id)),
                args=flat(CloseArgs(self._keys.channel(partition, quiz_id), quiz_id, "0")),
            )

    async def due(self, partition: int, now_ms: int) -> list[int]:
        """The live quizzes of ``partition`` whose open question closes by ``now_ms``."""
        closing = self._keys.closing(partition)
        members = await self._redis.execute_command("ZRANGE", closing, "-inf", now_ms, "BYSCORE")
        return [int(m) for m in members]


def _closed(question: bytes | str, at_ms: int) -> Closed | None:
    """The question a script says closed; ``None`` for none (``''``, or ``-1`` when it
    was never closed)."""
    if not question or at_ms < 0:
        return None
    return Closed(int(question), at_ms)


def _require_live(config: QuizConfig) -> None:
    if not config.live:
        raise Conflict(f"quiz {config.id} is an open quiz: it has no host moves", code="not_live")
