"""The accepting script: one Lua call takes a batch of one partition's joins and answers.

For an answer it checks and marks ``player:question`` and XADDs the event, so
there is no window in which two requests can both pass the check. For a join it
records the display name, then XADDs: a player can answer only after joining,
and the answer may reach the board before ``joins-redis`` applies the join, so
the name must already be there for the snapshot that shows the first points.
For every request it first counts the caller against its rate limits (per
player, and per client address and quiz), in Redis so that the limits hold
across API processes; all these keys carry the partition's hash tag.

:func:`accept_call` lays a batch out as the script's keys and arguments, and
:func:`parse_result` reads its reply for one request: both pure. The API's
intake (:mod:`quizboard.api.intake`) sends the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quizboard.core.errors import Conflict, RateLimited
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
from quizboard.store.live import CLOSE, NOW_MS

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

WINDOW_MS = 1000  # the rate limits' window


@dataclass(frozen=True, slots=True)
class LiveAnswer:
    """An answer to a live quiz's question: what the API knows of it, and where its
    verdict goes in the tally. The script adds the points and the streak."""

    head: LiveAnswerHead
    position: int
    bucket: str


@dataclass(frozen=True, slots=True)
class Request:
    """One join or answer to accept; an answer's marks live until ``keep_until_ms``."""

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


@dataclass(frozen=True, slots=True)
class LiveVerdict:
    """What the accepting script decided for a live answer."""

    event_id: str
    points: int
    streak: int

    @classmethod
    def read(cls, reply: str) -> LiveVerdict:
        """A live answer's reply: ``'id points streak'``."""
        event_id, points, streak = reply.split(" ")
        return cls(event_id, int(points), int(streak))


def accept_call(
    keys: Keys, limits: Limits, partition: int, requests: Sequence[Request]
) -> tuple[list[str], list[Any]]:
    """The keys and arguments of one ACCEPT call for ``requests``, all of ``partition``."""
    names = [keys.stream(partition, JOINS), keys.stream(partition, ANSWERS)]
    numbers: dict[str, int] = {}

    def number(key: str) -> int:
        if key not in numbers:
            names.append(key)
            numbers[key] = len(names)
        return numbers[key]

    args: list[Any] = [limits.per_player, limits.per_address, WINDOW_MS]
    for request in requests:
        event = request.event
        quiz_id = event.head.quiz_id if isinstance(event, LiveAnswer) else event.quiz_id
        address_key = number(keys.rate(partition, quiz_id, "address", request.address))
        if isinstance(event, JoinEvent):
            players = number(keys.quiz(partition, event.quiz_id).players)
            args += ["j", players, event.player_id, ENCODER.encode(event),
                     event.display_name, 0, address_key]  # fmt: skip
            continue
        if isinstance(event, LiveAnswer):
            args += _live_args(keys, partition, request, event, number, address_key)
            continue
        marks = number(keys.quiz(partition, event.quiz_id).answered)
        player_key = number(keys.rate(partition, event.quiz_id, "player", event.player_id))
        args += ["a", marks, f"{event.player_id}:{event.question_id}", ENCODER.encode(event),
                 request.keep_until_ms, player_key, address_key]  # fmt: skip
    return names, args


def _live_args(
    keys: Keys,
    partition: int,
    request: Request,
    answer: LiveAnswer,
    number: Callable[[str], int],
    address_key: int,
) -> list[Any]:
    head = answer.head
    quiz = keys.quiz(partition, head.quiz_id)
    player_key = number(keys.rate(partition, head.quiz_id, "player", head.player_id))
    return [
        "l", number(quiz.answered), f"{head.player_id}:{head.question_id}",
        ENCODER.encode(head)[:-1], request.keep_until_ms, player_key, address_key,
        number(quiz.live), number(quiz.tally), number(quiz.streaks), number(quiz.players),
        number(keys.closing(partition)), answer.position,
        "1" if head.correct else "0", answer.bucket, head.player_id, head.quiz_id,
        keys.channel(partition, head.quiz_id),
    ]  # fmt: skip


#: What the accepting script answers for a join of a player who had joined before.
REJOINED = "="

#: What the accepting script answers for a live answer it refuses.
REFUSALS = {
    "#closed": ("question_closed", "the question is closed: its time is up"),
    "#not_open": ("question_not_open", "the question is not open: the host has not opened it"),
}


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
