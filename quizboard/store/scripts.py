"""The Lua scripts: one ``.lua`` file each in ``quizboard/store/lua/``, and the typed
layout of each script's KEYS and ARGV.

A script reads its keys and arguments by name, in one line per layout::

    local live, tally, players, closing = unpack(KEYS, 1, 4)  -- LiveKeys

and the layout class named there (a dataclass below) lists the same names in the
same order. Python builds a call from the dataclass with :func:`flat`, so an
argument is never placed by hand; a test reads every such line of every script
and holds it to its class, both ways.

A script may include another (``--#include clock.lua``), and spells what it
writes into events and messages with placeholders: ``{{FIELD}}``, a wire name
``{{Type.field}}`` of one of :data:`WIRE_TYPES`, or one of :data:`CONSTANTS`. A
placeholder that names nothing fails at load, so no script runs half-filled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from operator import attrgetter
from typing import Any

from msgspec import Struct

from quizboard.core.events import FIELD, AnswerEvent, ChangeEvent, JoinEvent, wire_name
from quizboard.core.live import QuestionMessage, QuestionResults, QuizFinished
from quizboard.core.scoring import MAX_STREAK_BONUS, STREAK_STEP

#: The types whose wire names a script may spell as ``{{Type.field}}``.
WIRE_TYPES: dict[str, type[Struct]] = {
    t.__name__: t
    for t in (
        AnswerEvent,
        ChangeEvent,
        JoinEvent,
        QuestionMessage,
        QuestionResults,
        QuizFinished,
    )
}
#: The other names a script may spell as ``{{NAME}}``.
CONSTANTS = {
    "FIELD": FIELD,
    "STREAK_STEP": str(STREAK_STEP),
    "MAX_STREAK_BONUS": str(MAX_STREAK_BONUS),
}

_INCLUDE = re.compile(r"^--#include (\S+)\n", re.MULTILINE)
_PLACEHOLDER = re.compile(r"{{([\w.]+)}}")


def _fill(match: re.Match[str]) -> str:
    name = match.group(1)
    if "." in name:
        kind, field = name.split(".", 1)
        return wire_name(WIRE_TYPES[kind], field)
    return CONSTANTS[name]


def _read(name: str) -> str:
    return resources.files("quizboard.store").joinpath("lua", name).read_text()


@cache
def source(name: str) -> str:
    """The script ``lua/<name>``, its includes in place and its placeholders filled."""
    text = _INCLUDE.sub(lambda m: _read(m.group(1)), _read(name))
    return _PLACEHOLDER.sub(_fill, text)


def flat(layout: Any) -> list[Any]:
    """A layout's values in its fields' order: the script's order."""
    getter = _GETTERS.get(type(layout))
    if getter is None:
        # The accepting script's layouts are built for every answer: read the field
        # list once per layout, and get the values with one C call.
        names = [f.name for f in fields(layout)]
        getter = attrgetter(*names) if len(names) > 1 else (lambda v: (getattr(v, names[0]),))
        _GETTERS[type(layout)] = getter
    return list(getter(layout))


_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}


def size(layout: type) -> int:
    """How many KEYS or ARGV a layout takes."""
    return len(fields(layout))


# accept.lua


@dataclass(frozen=True, slots=True)
class AcceptKeys:
    joins: str
    answers: str


@dataclass(frozen=True, slots=True)
class AcceptHead:
    player_limit: int
    address_limit: int
    window: int  # ms


@dataclass(frozen=True, slots=True)
class AcceptItem:
    """One join ('j'), answer ('a') or live answer ('l'); keys are numbers into KEYS.
    ``removed`` is the quiz's hash of the players its host removed."""

    kind: str
    hash: int
    field: str
    event: bytes
    value: str | int
    player_key: int
    address_key: int
    removed: int


@dataclass(frozen=True, slots=True)
class JoinItem:
    """What a join adds after its item: the room's keys, and whether a live quiz
    takes players after its first question."""

    room: int
    held: int
    board: int
    live: int
    late_join: str  # '1' or '0'
    names: int
    name_key: str  # the name as names are compared (case-folded)
    team_of: int
    team_board: int
    team_sizes: int
    team_count: int  # 0: no teams
    team_choice: int  # the team the player chose; -1: the smallest


@dataclass(frozen=True, slots=True)
class LiveItem:
    """What a live answer adds after its item; keys are numbers into KEYS."""

    live: int
    tally: int
    streaks: int
    players: int
    closing: int
    position: int
    share: str  # of the question's points the answer earns: '1', '0', or a fraction
    penalty: int  # what it costs when its share is 0
    bucket: str
    player: str
    quiz: int
    channel: str


# close_question.lua, next_question.lua, finish.lua, live_state.lua


@dataclass(frozen=True, slots=True)
class LiveKeys:
    live: str
    tally: str
    players: str
    closing: str


@dataclass(frozen=True, slots=True)
class CloseArgs:
    channel: str
    quiz: int
    force: str  # '1' or '0'


@dataclass(frozen=True, slots=True)
class NextArgs:
    channel: str
    quiz: int
    seen: int
    question: int
    position: int
    limit_ms: int
    points: int
    buckets: str
    results_head: bytes
    message_head: bytes


@dataclass(frozen=True, slots=True)
class FinishKeys:
    live: str
    tally: str
    players: str
    closing: str
    changes: str


@dataclass(frozen=True, slots=True)
class FinishArgs:
    channel: str
    quiz: int
    finished_head: bytes
    notice: bytes


@dataclass(frozen=True, slots=True)
class StateKeys:
    live: str
    tally: str
    players: str


# apply_answers.lua, apply_joins.lua (apply_prelude.lua)


@dataclass(frozen=True, slots=True)
class ApplyKeys:
    gated: str
    changes: str


@dataclass(frozen=True, slots=True)
class ApplyHead:
    group: str
    mode: str  # 'ack' or 'redrive'
    nq: int
    trace: str


@dataclass(frozen=True, slots=True)
class ApplyItem:
    gate_id: str
    id: str
    q: int
    player: str
    value: str | int


# store_snapshot.lua


@dataclass(frozen=True, slots=True)
class SnapshotKeys:
    last: str
    team_last: str


@dataclass(frozen=True, slots=True)
class SnapshotArgs:
    version: int
    snapshot: bytes
    channel: str
    teams: bytes  # the team board published with it; empty for a quiz without teams


# kick.lua


@dataclass(frozen=True, slots=True)
class KickKeys:
    players: str
    board: str
    removed: str
    held: str
    changes: str
    names: str
    team_of: str
    team_board: str
    team_sizes: str


@dataclass(frozen=True, slots=True)
class KickArgs:
    player: str
    reason: str
    channel: str
    message: bytes
    change: bytes


# rename.lua


@dataclass(frozen=True, slots=True)
class RenameKeys:
    players: str
    names: str
    joins: str


@dataclass(frozen=True, slots=True)
class RenameArgs:
    player: str
    name: str
    name_key: str
    event: bytes
