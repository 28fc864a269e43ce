"""Sinks that apply events to the Redis leaderboards, acking in the same Lua script.

Each script applies an entry only if its gate opens: normally XACK, which says
the entry was still pending for this group; for an operator's re-drive of a
dead letter, XDEL of the dead entry. The effect and the gate happen together or
not at all, so a crash, a redelivery or a second re-drive never counts an answer
twice. Valkey does not roll a script back when a command fails half-way, so each
script first checks the type of every key it will write and refuses the whole
batch before any write. One call handles a whole batch of one partition, so all
its keys share one hash tag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from quizboard.core.events import (
    ANSWER_DECODER,
    FIELD,
    JOIN_DECODER,
    ChangeEvent,
    lua,
    wire_name,
)
from quizboard.core.failpoints import UNARMED, Failpoints
from quizboard.core.keys import LB_CHANGES, Keys
from quizboard.observe import tracing
from quizboard.store.connections import Redis
from quizboard.streams.entries import Entry


def _change_notices(source: str) -> str:
    """A script that XADDs :class:`ChangeEvent` notices, spelled from the type itself."""
    return lua(
        source,
        FIELD=FIELD,
        QUIZ_ID=wire_name(ChangeEvent, "quiz_id"),
        AS_OF=wire_name(ChangeEvent, "as_of"),
        TRACE=wire_name(ChangeEvent, "trace"),
    )


# Shared by both scripts. ARGV[1]: group, ARGV[2]: 'ack' or 'redrive', ARGV[3]: quiz
# count nq, ARGV[4]: the batch's traceparent or '', then the nq quiz ids, then per entry:
# gate id, event id, quiz number, player, value. KEYS[1]: the stream the gate acts on,
# KEYS[2]: lb-changes, then the same keys for each quiz: one per type check_types names.
_PRELUDE = """
local function newer(a, b)
    if not b then return true end
    local am, as = string.match(a, '^(%d+)-(%d+)$')
    local bm, bs = string.match(b, '^(%d+)-(%d+)$')
    if not bm then return true end
    am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
    return am > bm or (am == bm and as > bs)
end
local function check_types(types)
    for k = 3, #KEYS, #types do
        for offset, wanted in ipairs(types) do
            local kind = redis.call('TYPE', KEYS[k + offset - 1])['ok']
            if kind ~= 'none' and kind ~= wanted then
                return redis.error_reply('WRONGTYPE ' .. KEYS[k + offset - 1] .. ' is a ' .. kind)
            end
        end
    end
end
local group, mode, nq, trace = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local traced = ''
if trace ~= '' then traced = ',"{{TRACE}}":"' .. trace .. '"' end
local function gate(id)
    if mode == 'ack' then
        return redis.call('XACK', KEYS[1], group, id) == 1
    end
    return redis.call('XDEL', KEYS[1], id) == 1
end
"""

APPLY_ANSWERS = _change_notices(
    _PRELUDE
    + """
local refused = check_types({'zset', 'string'})
if refused then return refused end
local last = {}
local applied = 0
for i = 5 + nq, #ARGV, 5 do
    local q = tonumber(ARGV[i + 2])
    if gate(ARGV[i]) then
        redis.call('ZINCRBY', KEYS[1 + 2 * q], ARGV[i + 4], ARGV[i + 3])
        if newer(ARGV[i + 1], last[q]) then last[q] = ARGV[i + 1] end
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
        redis.call('XADD', KEYS[2], '*', '{{FIELD}}',
            '{"{{QUIZ_ID}}":' .. ARGV[4 + q] .. ',"{{AS_OF}}":"' .. last[q] .. '"' .. traced .. '}')
    end
end
return applied
"""
)

APPLY_JOINS = _change_notices(
    _PRELUDE
    + """
local refused = check_types({'zset'})
if refused then return refused end
local touched = {}
local applied = 0
for i = 5 + nq, #ARGV, 5 do
    local q = tonumber(ARGV[i + 2])
    if gate(ARGV[i]) then
        redis.call('ZADD', KEYS[2 + q], 'NX', 0, ARGV[i + 3])
        touched[q] = true
        applied = applied + 1
    end
end
for q = 1, nq do
    if touched[q] then
        redis.call('XADD', KEYS[2], '*', '{{FIELD}}',
            '{"{{QUIZ_ID}}":' .. ARGV[4 + q] .. traced .. '}')
    end
end
return applied
"""
)

# One row of script arguments per entry: (quiz id, player, value).
Row = tuple[int, str, str | int]


class _ScriptSink:
    """Group a batch by stream and apply each part with one script call."""

    acks = True
    script_source = ""

    def __init__(self, redis: Redis, keys: Keys, failpoints: Failpoints = UNARMED) -> None:
        self._redis = redis
        self._keys = keys
        self._failpoints = failpoints
        self._script = redis.register_script(self.script_source)

    def row(self, entry: Entry) -> Row:
        raise NotImplementedError

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, ...]:
        raise NotImplementedError

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        """Apply entries still pending for ``group``, acking them in the same script."""
        await self._run(group, "ack", [(e, e.id) for e in entries])

    async def redrive(self, group: str, dead: Sequence[tuple[Entry, str]]) -> None:
        """Apply dead letters, each given as its original entry and its dead-stream id.

        The gate is the XDEL of the dead entry, so a letter is applied at most once
        however often the operator asks.
        """
        await self._run(group, "redrive", [(entry, dead_id) for entry, dead_id in dead])

    async def _run(self, group: str, mode: str, gated: Sequence[tuple[Entry, str]]) -> None:
        by_partition: dict[int, list[tuple[Entry, str, Row]]] = defaultdict(list)
        for entry, gate_id in gated:  # decode everything before any write
            partition = self._keys.partition_of_stream(entry.stream)
            by_partition[partition].append((entry, gate_id, self.row(entry)))
        await self._failpoints.reach("before-apply")
        for partition, part in by_partition.items():
            quizzes: dict[int, int] = {}
            for _, _, (quiz_id, _, _) in part:
                quizzes.setdefault(quiz_id, len(quizzes) + 1)
            gate_stream = part[0][0].stream if mode == "ack" else self._keys.dead(partition)
            keys = [gate_stream, self._keys.stream(partition, LB_CHANGES)]
            for quiz_id in quizzes:
                keys.extend(self.quiz_keys(partition, quiz_id))
            args: list[Any] = [group, mode, len(quizzes), tracing.CURRENT.get(), *quizzes]
            for entry, gate_id, (quiz_id, player, value) in part:
                args += [gate_id, entry.id, quizzes[quiz_id], player, value]
            await self._script(keys=keys, args=args)


class LeaderboardJoinSink(_ScriptSink):
    """``joins-redis``: a new player enters the board at 0.

    The API recorded their display name when it accepted the join.
    """

    script_source = APPLY_JOINS

    def row(self, entry: Entry) -> Row:
        event = JOIN_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, ""

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, ...]:
        return (self._keys.quiz(partition, quiz_id).leaderboard,)


class LeaderboardAnswerSink(_ScriptSink):
    """``answers-redis``: each answer's points go onto the board, exactly once."""

    script_source = APPLY_ANSWERS

    def row(self, entry: Entry) -> Row:
        event = ANSWER_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, event.points

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, ...]:
        quiz = self._keys.quiz(partition, quiz_id)
        return quiz.leaderboard, quiz.lb_as_of
