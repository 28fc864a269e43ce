"""Sinks that apply events to the Redis leaderboards, acking in the same Lua script.

Each script XACKs an entry and applies it only if the XACK removed it from the
pending list. The effect and the ack happen together or not at all, and an
entry that some other consumer already applied is skipped: a crash or a
redelivery can never count an answer twice. One script call handles a whole
batch of one partition, so all its keys share one hash tag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from quizboard.connections import Redis
from quizboard.events import ANSWER_DECODER, FIELD, JOIN_DECODER
from quizboard.keys import LB_CHANGES, Keys
from quizboard.streams.consumer import Entry

_NEWER = """
local function newer(a, b)
    if not b then return true end
    local am, as = string.match(a, '^(%d+)-(%d+)$')
    local bm, bs = string.match(b, '^(%d+)-(%d+)$')
    if not bm then return true end
    am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
    return am > bm or (am == bm and as > bs)
end
"""

# KEYS: stream, lb-changes, then per quiz q: leaderboard, as-of.
# ARGV: group, quiz count, the quiz ids, then per entry: id, quiz number, player, points.
APPLY_ANSWERS = (
    _NEWER
    + """
local group, nq = ARGV[1], tonumber(ARGV[2])
local last = {}
local applied = 0
for i = 3 + nq, #ARGV, 4 do
    local id, q = ARGV[i], tonumber(ARGV[i + 1])
    if redis.call('XACK', KEYS[1], group, id) == 1 then
        redis.call('ZINCRBY', KEYS[1 + 2 * q], ARGV[i + 3], ARGV[i + 2])
        if newer(id, last[q]) then last[q] = id end
        applied = applied + 1
    end
end
for q = 1, nq do
    if last[q] then
        local as_of = KEYS[2 + 2 * q]
        local current = redis.call('GET', as_of)
        if newer(last[q], current) then
            redis.call('SET', as_of, last[q])
        else
            last[q] = current
        end
        redis.call('XADD', KEYS[2], '*', 'd',
            '{"quiz_id":' .. ARGV[2 + q] .. ',"as_of":"' .. last[q] .. '"}')
    end
end
return applied
"""
)

# KEYS: stream, lb-changes, then per quiz q: leaderboard, players.
# ARGV: group, quiz count, the quiz ids, then per entry: id, quiz number, player, name.
APPLY_JOINS = """
local group, nq = ARGV[1], tonumber(ARGV[2])
local touched = {}
local applied = 0
for i = 3 + nq, #ARGV, 4 do
    local q = tonumber(ARGV[i + 1])
    if redis.call('XACK', KEYS[1], group, ARGV[i]) == 1 then
        redis.call('ZADD', KEYS[1 + 2 * q], 'NX', 0, ARGV[i + 2])
        redis.call('HSET', KEYS[2 + 2 * q], ARGV[i + 2], ARGV[i + 3])
        touched[q] = true
        applied = applied + 1
    end
end
for q = 1, nq do
    if touched[q] then
        redis.call('XADD', KEYS[2], '*', 'd', '{"quiz_id":' .. ARGV[2 + q] .. '}')
    end
end
return applied
"""

# One row of script arguments per entry: (quiz id, player, value).
Row = tuple[int, str, str | int]


class _ScriptSink:
    """Group a batch by stream and apply each part with one script call."""

    acks = True
    script_source = ""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._script = redis.register_script(self.script_source)

    def row(self, entry: Entry) -> Row:
        raise NotImplementedError

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, str]:
        raise NotImplementedError

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        by_stream: dict[str, list[tuple[Entry, Row]]] = defaultdict(list)
        for entry in entries:  # decode everything before any write
            by_stream[entry.stream].append((entry, self.row(entry)))
        for stream, part in by_stream.items():
            partition = self._keys.partition_of_stream(stream)
            quizzes: dict[int, int] = {}
            for _, (quiz_id, _, _) in part:
                quizzes.setdefault(quiz_id, len(quizzes) + 1)
            keys = [stream, self._keys.stream(partition, LB_CHANGES)]
            for quiz_id in quizzes:
                keys.extend(self.quiz_keys(partition, quiz_id))
            args: list[Any] = [group, len(quizzes), *quizzes]
            for entry, (quiz_id, player, value) in part:
                args += [entry.id, quizzes[quiz_id], player, value]
            await self._script(keys=keys, args=args)


class LeaderboardJoinSink(_ScriptSink):
    """``joins-redis``: a new player enters the board at 0, with their display name."""

    script_source = APPLY_JOINS

    def row(self, entry: Entry) -> Row:
        event = JOIN_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, event.display_name

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, str]:
        return self._keys.leaderboard(partition, quiz_id), self._keys.players(partition, quiz_id)


class LeaderboardAnswerSink(_ScriptSink):
    """``answers-redis``: each answer's points go onto the board, exactly once."""

    script_source = APPLY_ANSWERS

    def row(self, entry: Entry) -> Row:
        event = ANSWER_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, event.points

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, str]:
        return self._keys.leaderboard(partition, quiz_id), self._keys.lb_as_of(partition, quiz_id)
