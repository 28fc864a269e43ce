"""The events that travel through the streams, with one encoder and decoder per type.

Each stream entry holds one field, :data:`FIELD`, whose value is the event as
JSON, so an operator can read a stream with ``XRANGE``. An answer event carries
its verdict (``correct``, ``points``), so Postgres and the leaderboard store
the same score.

This module is the one definition of each event's wire shape. The Lua scripts
that write an event themselves (the intake's XADD, the change notices of the
Redis sinks) spell its field names as ``{{Type.field}}``, filled from
:func:`wire_name` when they load (:mod:`quizboard.store.scripts`), so a renamed
field changes them too, or fails at load.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta, Struct

Id = Annotated[int, Meta(ge=1, le=2**63 - 1)]
Int32 = Annotated[int, Meta(ge=0, le=2**31 - 1)]
Points = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1)]  # below 0: a wrong answer's penalty
Millis = Annotated[int, Meta(ge=0, le=2**53)]

FIELD = "d"


class JoinEvent(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A player joined a quiz; ``back`` when an app user the host had kicked came back
    (the accepting script sets it); ``renamed`` when the host renamed a player who had
    joined (its name is the new one)."""

    quiz_id: Id
    player_id: str
    display_name: str
    joined_at: Millis
    back: bool = False
    renamed: bool = False
    team: int | None = None  # a team quiz's: the team the accepting script put it in


class AnswerEvent(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A player's accepted answer, with the verdict the API computed.

    ``trace`` carries the API span's ``traceparent`` when tracing is on. In a live
    quiz the accepting script decides ``points``, ``streak`` and ``answered_at``
    (see :class:`LiveAnswerHead`).
    """

    quiz_id: Id
    player_id: str
    question_id: Id
    answer: str
    correct: bool
    points: Points
    answered_at: Millis
    trace: str = ""
    streak: Int32 = 0  # live quizzes: the player's run of right answers, this one included


class LiveAnswerHead(Struct, frozen=True, omit_defaults=True):
    """What the API knows of a live answer. The accepting script appends the fields
    it decides on Valkey's clock (points, streak, answered_at) to make an
    :class:`AnswerEvent`."""

    quiz_id: Id
    player_id: str
    question_id: Id
    answer: str
    correct: bool
    trace: str = ""


class ChangeEvent(Struct, frozen=True, forbid_unknown_fields=True):
    """A quiz's leaderboard changed; ``as_of`` is the last applied answer event id."""

    quiz_id: Id
    as_of: str = ""
    trace: str = ""


class Traced(Struct, frozen=True):
    """Just the trace context of any event, for spans that do not need the rest."""

    trace: str = ""


ENCODER = msgspec.json.Encoder()
JOIN_DECODER = msgspec.json.Decoder(JoinEvent)
ANSWER_DECODER = msgspec.json.Decoder(AnswerEvent)
CHANGE_DECODER = msgspec.json.Decoder(ChangeEvent)
TRACED_DECODER = msgspec.json.Decoder(Traced)


def wire_name(event: type[Struct], field: str) -> str:
    """How ``event``'s JSON spells ``field``; :class:`KeyError` when it has no such field."""
    for info in msgspec.structs.fields(event):
        if info.name == field:
            return info.encode_name
    raise KeyError(f"{event.__name__} has no field {field!r}")
