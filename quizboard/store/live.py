"""A live quiz's state in Redis, and the scripts that move it.

The state is a hash under the quiz's partition tag (:attr:`QuizKeys.live`):
the phase, the open question with its times and its message. Each move (open
the next question, close one, finish) is one Lua script, so it is atomic with
the answers the accepting script takes (see :mod:`quizboard.api.intake`), and
each publishes its message on the quiz's channel from inside the script: the
messages of one quiz leave in the order of its moves, with no throttle.

Every script reads the time from Valkey's ``TIME``: one clock per partition
decides when a question opened, when it closes and how long each answer took,
whichever API process asked. So API hosts need no clock sync.

A question closes by itself at ``closes_at``: the accepting script refuses an
answer after it, and :func:`close_due` (run by the ``leaderboard`` workers every
:data:`SWEEP_S`) publishes the results of the questions whose time is up,
listed by when they close in :meth:`Keys.closing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from quizboard.core.errors import Conflict
from quizboard.core.events import ENCODER, FIELD, ChangeEvent, lua, wire_name
from quizboard.core.keys import LB_CHANGES, Keys
from quizboard.core.live import (
    FINISHED_DECODER,
    QUESTION_DECODER,
    RESULTS_DECODER,
    LiveState,
    QuestionMessage,
    QuestionResults,
    QuizFinished,
    buckets,
    head,
    phase_at,
    question_head,
    results_head,
)
from quizboard.core.models import QuizConfig, public_question
from quizboard.store.connections import Redis, text

SWEEP_S = 0.05

#: Lua: the time on Valkey's clock, in ms, and ``fmt`` for integers in messages (Lua's
#: ``tostring`` would write large ones with an exponent).
NOW_MS = """
local function now_ms()
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%d', n) end
"""

#: Lua: close the open question of a quiz (its time is up, or ``force``) and publish
#: its results; return when it closed, or false when no question was open or due.
CLOSE = lua(
    """
local function close(live, tally, players, closing, channel, quiz, now, force)
    local s = redis.call('HMGET', live, 'phase', 'question', 'closes', 'buckets', 'results')
    if s[1] ~= 'question' then return false end
    local closes = tonumber(s[3])
    if not force and now <= closes then return false end
    local closed = math.min(now, closes)
    redis.call('HSET', live, 'phase', 'results', 'closed', closed)
    redis.call('ZREM', closing, quiz)
    local q = s[2]
    local distribution
    if s[4] == 'text' then
        local n = redis.call('HMGET', tally, q .. ':correct', q .. ':wrong')
        distribution = '{"correct":' .. fmt(tonumber(n[1]) or 0) ..
            ',"wrong":' .. fmt(tonumber(n[2]) or 0) .. '}'
    else
        local counts = {}
        for c = 0, tonumber(string.sub(s[4], 9)) - 1 do
            counts[#counts + 1] = fmt(tonumber(redis.call('HGET', tally, q .. ':' .. c)) or 0)
        end
        distribution = '[' .. table.concat(counts, ',') .. ']'
    end
    local results = s[5] ..
        ',"{{DISTRIBUTION}}":' .. distribution ..
        ',"{{ANSWERED}}":' .. fmt(tonumber(redis.call('HGET', tally, q)) or 0) ..
        ',"{{TOTAL}}":' .. fmt(redis.call('HLEN', players)) .. '}'
    redis.call('HSET', live, 'last_results', results)  -- for a gateway that missed it
    redis.call('SPUBLISH', channel, results)
    return closed
end
""",
    DISTRIBUTION=wire_name(QuestionResults, "distribution"),
    ANSWERED=wire_name(QuestionResults, "answered"),
    TOTAL=wire_name(QuestionResults, "total_players"),
)

# KEYS: live, tally, players, closing. ARGV: channel, quiz, force ('1' or '0').
# Returns the question it closed and when, or false.
CLOSE_SCRIPT = (
    NOW_MS
    + CLOSE
    + """
local closed = close(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], now_ms(),
    ARGV[3] == '1')
if not closed then return false end
return {redis.call('HGET', KEYS[1], 'question'), closed}
"""
)

#: Lua: the question that was open before this move, and when it closed (-1: never).
PREVIOUS = """
local function previous(live)
    local p = redis.call('HMGET', live, 'question', 'closed')
    return p[1] or '', tonumber(p[2]) or -1
end
"""

# KEYS: live, tally, players, closing. ARGV: channel, quiz, the position the caller saw,
# then the next question's id, position, time limit (ms), points, buckets, results head
# and message head. Closes the open question first, if any.
NEXT_SCRIPT = (
    NOW_MS
    + CLOSE
    + PREVIOUS
    + lua(
        """
local s = redis.call('HMGET', KEYS[1], 'phase', 'position')
if s[1] == 'finished' then return {'finished'} end
local position = tonumber(s[2]) or 0
if position ~= tonumber(ARGV[3]) then return {'moved', position} end
local now = now_ms()
close(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], now, true)
local before, closed = previous(KEYS[1])
local closes = now + tonumber(ARGV[6])
local message = ARGV[10] .. ',"{{OPENED}}":' .. fmt(now) .. ',"{{CLOSES}}":' .. fmt(closes) ..
    ',"{{SERVER_TIME}}":' .. fmt(now) .. '}'
redis.call('HSET', KEYS[1], 'phase', 'question', 'question', ARGV[4], 'position', ARGV[5],
    'opened', now, 'closes', closes, 'limit', ARGV[6], 'points', ARGV[7],
    'buckets', ARGV[8], 'results', ARGV[9], 'message', message)
redis.call('HDEL', KEYS[1], 'closed')
redis.call('ZADD', KEYS[4], closes, ARGV[2])
redis.call('SPUBLISH', ARGV[1], message)
return {'opened', now, closes, before, closed}
""",
        OPENED=wire_name(QuestionMessage, "opened_at"),
        CLOSES=wire_name(QuestionMessage, "closes_at"),
        SERVER_TIME=wire_name(QuestionMessage, "server_time"),
    )
)

# KEYS: live, tally, players, closing, lb-changes. ARGV: channel, quiz, the head of the
# quiz_finished message (the script adds the last answer's id), a change notice. The
# notice makes the leaderboard workers publish a snapshot after the quiz_finished
# message; the final board is the first whose as_of reaches the last answer.
FINISH_SCRIPT = (
    NOW_MS
    + CLOSE
    + PREVIOUS
    + lua(
        """
if redis.call('HGET', KEYS[1], 'phase') == 'finished' then return {'finished'} end
local now = now_ms()
close(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], now, true)
local before, closed = previous(KEYS[1])
local message = ARGV[3] .. ',"{{FINAL}}":"' ..
    (redis.call('HGET', KEYS[1], 'last_answer') or '') .. '"}'
redis.call('HSET', KEYS[1], 'phase', 'finished', 'finished', now, 'finished_message', message)
redis.call('SPUBLISH', ARGV[1], message)
redis.call('XADD', KEYS[5], '*', '{{FIELD}}', ARGV[4])
return {'finished_now', now, before, closed}
""",
        FIELD=FIELD,
        FINAL=wire_name(QuizFinished, "final_as_of"),
    )
)

# KEYS: live, tally, players. The state, the open question's answer count, the player
# count and the time, read at one instant.
STATE_SCRIPT = (
    NOW_MS
    + """
local s = redis.call('HMGET', KEYS[1], 'phase', 'question', 'opened', 'closes')
local answered = s[2] and redis.call('HGET', KEYS[2], s[2]) or false
return {s[1], s[2], s[3], s[4], answered, redis.call('HLEN', KEYS[3]), now_ms()}
"""
)


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
        self._close = redis.register_script(CLOSE_SCRIPT)
        self._next = redis.register_script(NEXT_SCRIPT)
        self._finish = redis.register_script(FINISH_SCRIPT)
        self._state = redis.register_script(STATE_SCRIPT)

    def _quiz_keys(self, config: QuizConfig) -> list[str]:
        quiz = self._keys.quiz(config.partition, config.id)
        return [quiz.live, quiz.tally, quiz.players, self._keys.closing(config.partition)]

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
            reply = await self._next(
                keys=self._quiz_keys(config),
                args=[
                    self._channel(config), config.id, position, question.id, question.position,
                    (question.time_limit_s or 0) * 1000, question.points, buckets(question),
                    results_head(config.id, question), question_head(config.id, question),
                ],
            )  # fmt: skip
            outcome = text(reply[0])
            if outcome == "finished":
                seen = msgspec.structs.replace(seen, phase="finished")
                continue
            if outcome == "moved":  # another host call moved first: go on from there
                position = int(reply[1])
                continue
            return Moved(int(reply[1]), _closed(reply[3], reply[4]), question.id, int(reply[2]))

    async def reveal(self, config: QuizConfig) -> Closed | None:
        """Close the open question now and publish its results: which and when, or
        ``None`` when no question was open (it ran out, or was revealed, before)."""
        _require_live(config)
        reply = await self._close(
            keys=self._quiz_keys(config), args=[self._channel(config), config.id, "1"]
        )
        return _closed(reply[0], reply[1]) if reply else None

    async def finish(self, config: QuizConfig) -> Moved | None:
        """End the quiz, closing its open question; ``None`` when it had ended before."""
        _require_live(config)
        changes = self._keys.stream(config.partition, LB_CHANGES)
        reply = await self._finish(
            keys=[*self._quiz_keys(config), changes],
            args=[
                self._channel(config),
                config.id,
                head(QuizFinished(config.id)),
                ENCODER.encode(ChangeEvent(config.id)),
            ],
        )
        if text(reply[0]) == "finished":
            return None
        return Moved(int(reply[1]), _closed(reply[2], reply[3]))

    async def state(self, config: QuizConfig) -> LiveState:
        """Where the quiz is now, on Valkey's clock."""
        quiz = self._keys.quiz(config.partition, config.id)
        reply = await self._state(keys=[quiz.live, quiz.tally, quiz.players])
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
            quiz = self._keys.quiz(partition, quiz_id)
            await self._close(
                keys=[quiz.live, quiz.tally, quiz.players, self._keys.closing(partition)],
                args=[self._keys.channel(partition, quiz_id), quiz_id, "0"],
            )

    async def due(self, partition: int, now_ms: int) -> list[int]:
        """The live quizzes of ``partition`` whose open question closes by ``now_ms``."""
        closing = self._keys.closing(partition)
        members = await self._redis.execute_command("ZRANGE", closing, "-inf", now_ms, "BYSCORE")
        return [int(m) for m in members]


@dataclass(frozen=True, slots=True)
class Replay:
    """What a watcher of a live quiz should have seen last: the open question, as
    published when it opened (its time may be up: the reader compares ``closes_at``);
    else the results of the last question, that question as published when it opened
    (``closed``), and whether the quiz has finished."""

    question: QuestionMessage | None = None
    results: QuestionResults | None = None
    closed: QuestionMessage | None = None
    finished: QuizFinished | None = None


async def replay(redis: Redis, keys: Keys, partition: int, quiz_id: int) -> Replay:
    """The live messages a gateway sends a newcomer, or sends again after a reconnect."""
    live = keys.quiz(partition, quiz_id).live
    phase, message, results, finished = await redis.hmget(
        live, ["phase", "message", "last_results", "finished_message"]
    )
    if phase == b"question" and message is not None:
        return Replay(question=QUESTION_DECODER.decode(message))
    done = FINISHED_DECODER.decode(finished) if finished is not None else None
    if results is None:
        return Replay(finished=done)
    closed = QUESTION_DECODER.decode(message) if message is not None else None
    return Replay(results=RESULTS_DECODER.decode(results), closed=closed, finished=done)


def _closed(question: bytes | str, at_ms: int) -> Closed | None:
    """The question a script says closed; ``None`` for none (``''``, or ``-1`` when it
    was never closed)."""
    if not question or at_ms < 0:
        return None
    return Closed(int(question), at_ms)


def _require_live(config: QuizConfig) -> None:
    if not config.live:
        raise Conflict(f"quiz {config.id} is an open quiz: it has no host moves", code="not_live")
