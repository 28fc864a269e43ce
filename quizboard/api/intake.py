"""Accepting events: the API's only writes, each an XADD to its partition's stream.

One Lua script accepts a batch of joins and answers of one partition. For an
answer it checks and marks ``player:question`` and XADDs the event, so there is
no window in which two requests can both pass the check. For a join it records
the display name, then XADDs: a player can answer only after joining, and the
answer may reach the board before ``joins-redis`` applies the join, so the name
must already be there for the snapshot that shows the first points. For every
request it first counts the caller against its rate limits (per player, and per
client address and quiz), in Redis so that the limits hold across API
processes; all these keys carry the partition's hash tag.

A Redis round trip awaited per request costs the API about three times the
CPU of the HTTP request itself. So by default the intake coalesces: requests
that arrive while a flush is in flight queue up, and the next flush sends them
all in one pipeline, one script call per partition. There is no timer: an idle
intake flushes a lone request at once. Each request still gets its own result.
``coalesce=False`` sends each request on its own, so the gain can be measured.

The flusher is supervised: an error reaching its loop (a bug: a server's error
is the error of the requests of that flush) fails the requests it had in hand,
is logged and counted (``quizboard_intake_flusher_restarts``), and the loop
starts again, so no request ever waits for a flusher that is gone. On shutdown
every request still waiting gets :class:`Unavailable`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from quizboard.core.errors import Conflict, RateLimited, Unavailable
from quizboard.core.events import (
    ENCODER,
    FIELD,
    AnswerEvent,
    JoinEvent,
    LiveAnswerHead,
    lua,
    wire_name,
)
from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.core.scoring import MAX_STREAK_BONUS, STREAK_STEP
from quizboard.core.tasks import stop_task
from quizboard.observe.metrics import ApiMetrics
from quizboard.store.connections import Redis, text
from quizboard.store.live import CLOSE, NOW_MS
from quizboard.store.pipelines import Call, send_calls

# KEYS: the joins stream, the answers stream, then the keys the requests name.
# ARGV: player limit, address limit, window (ms); then per request: kind ('j', 'a' or
# 'l'), hash key, field, event, value, player-limit key, address-limit key (key numbers
# index KEYS; 0 for none). A join sets players[player] = its display name (the value),
# unless the player has joined before: then it returns '=' and adds no event (an app's
# user joining again). An answer sets answered[player:question] = its entry id, and its
# value is when the marks expire (ms). Per request it returns the new entry id, '' for
# an answer already given, or '!' followed by the ms until the limit resets.
#
# A live answer ('l') has ten more: the keys live, tally, streaks, players and closing,
# the question's position, '1' if right else '0', its bucket in the tally, the player,
# the quiz and the quiz's channel. Its event is a head (see LiveAnswerHead) that the
# script completes with the points, the streak and the time on Valkey's clock. It
# returns 'id points streak', or '#closed' / '#not_open'; the answer that completes
# the count of joined players closes the question and publishes its results.
ACCEPT = (
    NOW_MS
    + CLOSE
    + lua(
        """
local player_limit, address_limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local function over(k, limit)
    if k == 0 or limit <= 0 then return false end
    local n = redis.call('INCR', KEYS[k])
    if n == 1 then redis.call('PEXPIRE', KEYS[k], window) end
    return n > limit
end
local function live_answer(i, marks)
    local live, tally, streaks, players, closing =
        KEYS[tonumber(ARGV[i + 7])], KEYS[tonumber(ARGV[i + 8])], KEYS[tonumber(ARGV[i + 9])],
        KEYS[tonumber(ARGV[i + 10])], KEYS[tonumber(ARGV[i + 11])]
    local s = redis.call('HMGET', live, 'phase', 'question', 'position', 'opened', 'closes',
        'limit', 'points')
    local position, current = tonumber(ARGV[i + 12]), tonumber(s[3]) or 0
    if s[1] == 'finished' or position < current then return '#closed' end
    if s[1] ~= 'question' and s[1] ~= 'results' or position > current then
        return '#not_open'
    end
    local now = now_ms()
    if s[1] == 'results' or now > tonumber(s[5]) then return '#closed' end
    if redis.call('HEXISTS', marks, ARGV[i + 2]) == 1 then return '' end
    local player, correct = ARGV[i + 15], ARGV[i + 13] == '1'
    local streak, last = 0, -1
    local held = redis.call('HGET', streaks, player)
    if held then
        local a, b = string.match(held, '^(%d+):(%-?%d+)$')
        streak, last = tonumber(a), tonumber(b)
    end
    local points = 0
    if correct then
        if last == position - 1 then streak = streak + 1 else streak = 1 end
        last = position
        local t, limit = math.max(now - tonumber(s[4]), 0), tonumber(s[6])
        points = math.floor((1 - (t / limit) / 2) * tonumber(s[7]) + 0.5)
            + math.min({{STEP}} * (streak - 1), {{MAX_BONUS}})
    else
        streak = 0
    end
    redis.call('HSET', streaks, player, fmt(streak) .. ':' .. fmt(last))
    local answered = redis.call('HINCRBY', tally, s[2], 1)
    redis.call('HINCRBY', tally, s[2] .. ':' .. ARGV[i + 14], 1)
    local id = redis.call('XADD', KEYS[2], '*', '{{FIELD}}', ARGV[i + 3] ..
        ',"{{POINTS}}":' .. fmt(points) .. ',"{{STREAK}}":' .. fmt(streak) ..
        ',"{{ANSWERED_AT}}":' .. fmt(now) .. '}')
    redis.call('HSET', marks, ARGV[i + 2], id)
    redis.call('PEXPIREAT', marks, ARGV[i + 4])
    redis.call('HSET', live, 'last_answer', id)  -- the final board covers up to here
    if answered >= redis.call('HLEN', players) then
        close(live, tally, players, closing, ARGV[i + 17], ARGV[i + 16], now, true)
    end
    return id .. ' ' .. fmt(points) .. ' ' .. fmt(streak)
end
local results = {}
local i = 4
while i <= #ARGV do
    local kind = ARGV[i]
    local hash, rp, ra = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6])
    if over(ra, address_limit) then
        results[#results + 1] = '!' .. redis.call('PTTL', KEYS[ra])
    elseif over(rp, player_limit) then
        results[#results + 1] = '!' .. redis.call('PTTL', KEYS[rp])
    elseif kind == 'j' then
        if redis.call('HSETNX', KEYS[hash], ARGV[i + 2], ARGV[i + 4]) == 1 then
            results[#results + 1] = redis.call('XADD', KEYS[1], '*', '{{FIELD}}', ARGV[i + 3])
        else
            results[#results + 1] = '='
        end
    elseif kind == 'l' then
        results[#results + 1] = live_answer(i, KEYS[hash])
    elseif redis.call('HEXISTS', KEYS[hash], ARGV[i + 2]) == 1 then
        results[#results + 1] = ''
    else
        local id = redis.call('XADD', KEYS[2], '*', '{{FIELD}}', ARGV[i + 3])
        redis.call('HSET', KEYS[hash], ARGV[i + 2], id)
        redis.call('PEXPIREAT', KEYS[hash], ARGV[i + 4])
        results[#results + 1] = id
    end
    if kind == 'l' then i = i + 18 else i = i + 7 end
end
return results
""",
        FIELD=FIELD,
        POINTS=wire_name(AnswerEvent, "points"),
        STREAK=wire_name(AnswerEvent, "streak"),
        ANSWERED_AT=wire_name(AnswerEvent, "answered_at"),
        STEP=str(STREAK_STEP),
        MAX_BONUS=str(MAX_STREAK_BONUS),
    )
)

log = logging.getLogger(__name__)

WINDOW_MS = 1000
WAIT_TIMEOUT_MS = 1000
WAITAOF = ("WAITAOF", 1, 0, WAIT_TIMEOUT_MS)  # the local fsync of everything written before it


@dataclass(frozen=True, slots=True)
class LiveAnswer:
    """An answer to a live quiz's question: what the API knows of it, and where its
    verdict goes in the tally. The script adds the points and the streak."""

    head: LiveAnswerHead
    position: int
    bucket: str


@dataclass(frozen=True, slots=True)
class LiveVerdict:
    """What the accepting script decided for a live answer."""

    event_id: str
    points: int
    streak: int


@dataclass(frozen=True, slots=True)
class _Request:
    partition: int
    event: JoinEvent | AnswerEvent | LiveAnswer
    address: str
    keep_until_ms: int = 0


@dataclass(frozen=True, slots=True)
class Limits:
    """Requests allowed per second: per player (answers), per address and quiz (all)."""

    per_player: int = 0
    per_address: int = 0


Result = str | None | BaseException
_Waiting = list[tuple[_Request, asyncio.Future[Result]]]


class Intake:
    """Puts accepted joins and answers into the streams.

    Use it as an async context manager: when coalescing, it owns the task that
    flushes queued requests.
    """

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        wait_aof: bool = False,
        wait_replicas: int = 0,
        coalesce: bool = True,
        limits: Limits = Limits(),
        metrics: ApiMetrics | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._wait_aof = wait_aof
        self._wait_replicas = wait_replicas
        self._trailer: list[tuple[Any, ...]] = []
        if wait_aof:
            self._trailer.append(WAITAOF)
        if wait_replicas:
            self._trailer.append(("WAIT", wait_replicas, WAIT_TIMEOUT_MS))
        self._coalesce = coalesce
        self._limits = limits
        self._metrics = metrics or ApiMetrics()
        self._queue: _Waiting = []
        self._in_hand: _Waiting = []  # the batch the flusher is sending
        self._wakeup = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self._closed = False

    async def __aenter__(self) -> Self:
        if self._coalesce:
            self._flusher = asyncio.create_task(self._supervise(), name="intake-flusher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        await stop_task(self._flusher)
        # The server drains its requests before its lifespan ends, so this is rare: a
        # request still here may have been sent, and is told to retry (a retried
        # answer then gets 409 if its first copy went in).
        _resolve(self._in_hand + self._queue, Unavailable("the API is shutting down; retry"))
        self._in_hand, self._queue = [], []

    async def join(self, partition: int, event: JoinEvent, address: str) -> str | None:
        """Append a join event; return its entry id, or ``None`` when this player had
        joined before (no event then). Raises :class:`RateLimited`."""
        entry_id = await self._submit(_Request(partition, event, address))
        return None if entry_id == REJOINED else entry_id

    async def answer(
        self, partition: int, event: AnswerEvent, keep_until_ms: int, address: str
    ) -> str | None:
        """Append an answer event unless this player answered this question before.

        Returns the entry id (the answer's ``event_id``), or ``None`` for a repeat.
        The answered-marks live until ``keep_until_ms``, after the quiz has ended.
        Raises :class:`RateLimited` when the player or the address sends too fast.
        """
        return await self._submit(_Request(partition, event, address, keep_until_ms))

    async def live_answer(
        self, partition: int, answer: LiveAnswer, keep_until_ms: int, address: str
    ) -> LiveVerdict | None:
        """Append a live answer if its question is open and this player has not answered
        it; its verdict, or ``None`` for a repeat.

        Raises :class:`Conflict` (``question_closed``, ``question_not_open``) and
        :class:`RateLimited`.
        """
        reply = await self._submit(_Request(partition, answer, address, keep_until_ms))
        if reply is None:
            return None
        event_id, points, streak = reply.split(" ")
        return LiveVerdict(event_id, int(points), int(streak))

    async def _submit(self, request: _Request) -> str | None:
        if self._closed:
            raise Unavailable("the API is shutting down; retry")
        if self._flusher is None:
            result = (await self._send([request]))[0]
        else:
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            self._queue.append((request, future))
            self._wakeup.set()
            result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def _supervise(self) -> None:
        """Run the flush loop; if it dies, fail its batch in hand, count it, and start again."""
        while True:
            try:
                await self._flush_forever()
            except Exception as exc:  # the one supervising level of the flusher
                log.exception("the intake's flusher failed; restarting it", exc_info=exc)
                self._metrics.intake_restarts.inc()
                _resolve(self._in_hand, exc)
                self._in_hand = []

    async def _flush_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                self._in_hand, self._queue = self._queue, []
                try:
                    results = await self._send([request for request, _ in self._in_hand])
                except Exception as exc:  # every waiting request gets the error as its own
                    results = [exc] * len(self._in_hand)
                for (_, future), result in zip(self._in_hand, results, strict=True):
                    if not future.done():  # the request may have been cancelled
                        future.set_result(result)
                self._in_hand = []

    async def _send(self, requests: list[_Request]) -> list[Result]:
        """One round trip for ``requests``; the result of each, in order."""
        by_partition: dict[int, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            by_partition[request.partition].append(index)
        calls = [
            (indexes, *self._call(partition, [requests[i] for i in indexes]))
            for partition, indexes in by_partition.items()
        ]
        # EVAL, not EVALSHA: no NOSCRIPT to recover from after Valkey restarts. Each
        # partition's call goes to the node that holds it; the trailer ends each node's write.
        sent = await send_calls(
            self._redis,
            [Call(keys[0], ("EVAL", ACCEPT, len(keys), *keys, *args)) for _, keys, args in calls],
            self._trailer,
        )
        results: list[Result] = [None] * len(requests)
        for (indexes, _, _), outcome in zip(calls, sent, strict=True):
            reply = outcome.reply
            if not isinstance(reply, BaseException):
                reply = unconfirmed(outcome.trailer or [], self._wait_aof, self._wait_replicas)
            if reply is not None:  # an error of this call is the error of its requests only
                for index in indexes:
                    results[index] = reply
                continue
            for index, value in zip(indexes, outcome.reply, strict=True):
                results[index] = parse_result(text(value))
        return results

    def _call(self, partition: int, requests: list[_Request]) -> tuple[list[str], list[Any]]:
        keys = [self._keys.stream(partition, JOINS), self._keys.stream(partition, ANSWERS)]
        numbers: dict[str, int] = {}

        def number(key: str) -> int:
            if key not in numbers:
                keys.append(key)
                numbers[key] = len(keys)
            return numbers[key]

        args: list[Any] = [self._limits.per_player, self._limits.per_address, WINDOW_MS]
        for request in requests:
            event = request.event
            quiz_id = event.head.quiz_id if isinstance(event, LiveAnswer) else event.quiz_id
            address_key = number(self._keys.rate(partition, quiz_id, "address",
                                                 request.address))  # fmt: skip
            if isinstance(event, JoinEvent):
                players = number(self._keys.quiz(partition, event.quiz_id).players)
                args += ["j", players, event.player_id, ENCODER.encode(event),
                         event.display_name, 0, address_key]  # fmt: skip
                continue
            if isinstance(event, LiveAnswer):
                args += self._live_args(partition, request, event, number, address_key)
                continue
            marks = number(self._keys.quiz(partition, event.quiz_id).answered)
            player_key = number(self._keys.rate(partition, event.quiz_id, "player",
                                                event.player_id))  # fmt: skip
            args += ["a", marks, f"{event.player_id}:{event.question_id}", ENCODER.encode(event),
                     request.keep_until_ms, player_key, address_key]  # fmt: skip
        return keys, args

    def _live_args(
        self,
        partition: int,
        request: _Request,
        answer: LiveAnswer,
        number: Callable[[str], int],
        address_key: int,
    ) -> list[Any]:
        head = answer.head
        quiz = self._keys.quiz(partition, head.quiz_id)
        player_key = number(self._keys.rate(partition, head.quiz_id, "player", head.player_id))
        return [
            "l", number(quiz.answered), f"{head.player_id}:{head.question_id}",
            ENCODER.encode(head)[:-1], request.keep_until_ms, player_key, address_key,
            number(quiz.live), number(quiz.tally), number(quiz.streaks), number(quiz.players),
            number(self._keys.closing(partition)), answer.position,
            "1" if head.correct else "0", answer.bucket, head.player_id, head.quiz_id,
            self._keys.channel(partition, head.quiz_id),
        ]  # fmt: skip


#: What the accepting script answers for a join of a player who had joined before.
REJOINED = "="

#: What the accepting script answers for a live answer it refuses.
REFUSALS = {
    "#closed": ("question_closed", "the question is closed: its time is up"),
    "#not_open": ("question_not_open", "the question is not open: the host has not opened it"),
}


def _resolve(waiting: _Waiting, error: BaseException) -> None:
    """Give every request still waiting in ``waiting`` the ``error``."""
    for _, future in waiting:
        if not future.done():
            future.set_result(error)


def unconfirmed(trailer: list[Any], wait_aof: bool, wait_replicas: int) -> Unavailable | None:
    """:class:`Unavailable` unless the trailer's replies confirm what was asked: WAITAOF's
    local fsync, WAIT's ``wait_replicas`` replicas.

    A timeout passed, the AOF is off, or too few replicas answered: the events are
    in the stream, but a 202 would promise more than is known. The requests get
    503, and a retried answer then finds its first copy (409).
    """
    replies = iter(trailer)
    if wait_aof:
        reply = next(replies, None)
        if isinstance(reply, Exception) or reply is None or int(reply[0]) < 1:
            log.warning("WAITAOF did not confirm the fsync of accepted events: %r", reply)
            return Unavailable("the events were not confirmed on disk in time; retry")
    if wait_replicas:
        reply = next(replies, None)
        if isinstance(reply, Exception) or reply is None or int(reply) < wait_replicas:
            log.warning("WAIT: %r of %d replicas confirmed accepted events", reply, wait_replicas)
            return Unavailable("the events were not confirmed on the replicas in time; retry")
    return None


def parse_result(value: str) -> Result:
    """One request's reply from the accepting script: its entry id, ``None`` for an answer
    already given, or :class:`RateLimited` for ``!`` and the ms until the limit resets."""
    if value.startswith("!"):
        retry_ms = max(1, int(value[1:]) if value[1:].lstrip("-").isdigit() else WINDOW_MS)
        return RateLimited("too many requests; slow down", retry_after=-(-retry_ms // 1000))
    if value.startswith("#"):
        code, message = REFUSALS[value]
        return Conflict(message, code=code)
    return value or None
