"""Sinks that apply events to the Redis leaderboards, acking in the same Lua script.

Each script applies an entry only if its gate opens: normally XACK, which says
the entry was still pending for this group; for an operator's re-drive of a
dead letter, XDEL of the dead entry. The effect and the gate happen together or
not at all, so a crash, a redelivery or a second re-drive never counts an answer
twice. Valkey does not roll a script back when a command fails half-way, so each
script first checks the type of every key it will write and refuses the whole
batch before any write. One call handles a whole batch of one partition, so all
its keys share one hash tag. The scripts are ``lua/apply_answers.lua`` and
``lua/apply_joins.lua``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from quizboard.core.events import ANSWER_DECODER, FIELD, JOIN_DECODER
from quizboard.core.failpoints import UNARMED, Failpoints
from quizboard.core.keys import LB_CHANGES, Keys
from quizboard.observe import tracing
from quizboard.store.connections import Redis
from quizboard.store.scripts import ApplyHead, ApplyItem, ApplyKeys, flat, source
from quizboard.streams.entries import Entry

# One row of script arguments per entry: (quiz id, player, value).
Row = tuple[int, str, str | int]


class _ScriptSink:
    """Group a batch by stream and apply each part with one script call."""

    acks = True
    script_name = ""  # its file in quizboard/store/lua

    def __init__(self, redis: Redis, keys: Keys, failpoints: Failpoints = UNARMED) -> None:
        self._redis = redis
        self._keys = keys
        self._failpoints = failpoints
        self._script = redis.register_script(source(self.script_name))

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
            keys = flat(ApplyKeys(gate_stream, self._keys.stream(partition, LB_CHANGES)))
            for quiz_id in quizzes:
                keys.extend(self.quiz_keys(partition, quiz_id))
            args = flat(ApplyHead(group, mode, len(quizzes), tracing.CURRENT.get()))
            args.extend(quizzes)
            for entry, gate_id, (quiz_id, player, value) in part:
                args += flat(ApplyItem(gate_id, entry.id, quizzes[quiz_id], player, value))
            await self._script(keys=keys, args=args)


class LeaderboardJoinSink(_ScriptSink):
    """``joins-redis``: a new player enters the board at 0.

    The API recorded their display name when it accepted the join.
    """

    script_name = "apply_joins.lua"

    def row(self, entry: Entry) -> Row:
        event = JOIN_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, ""

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, ...]:
        quiz = self._keys.quiz(partition, quiz_id)
        return quiz.leaderboard, quiz.removed


class LeaderboardAnswerSink(_ScriptSink):
    """``answers-redis``: each answer's points go onto the board, exactly once."""

    script_name = "apply_answers.lua"

    def row(self, entry: Entry) -> Row:
        event = ANSWER_DECODER.decode(entry.fields[FIELD.encode()])
        return event.quiz_id, event.player_id, event.points

    def quiz_keys(self, partition: int, quiz_id: int) -> tuple[str, ...]:
        quiz = self._keys.quiz(partition, quiz_id)
        return (
            quiz.leaderboard,
            quiz.lb_as_of,
            quiz.removed,
            quiz.held,
            quiz.team_of,
            quiz.team_board,
        )
