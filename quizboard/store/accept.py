"""The accepting script: one Lua call takes a batch of one partition's joins and answers.

For an answer it checks and marks ``player:question`` and XADDs the event, so
there is no window in which two requests can both pass the check. For a join it
records the display name, then XADDs: a player can answer only after joining,
and the answer may reach the board before ``joins-redis`` applies the join, so
the name must already be there for the snapshot that shows the first points.
For every request it first counts the caller against its rate limits (per
player, and per client address and quiz), in Redis so that the limits hold
across API processes; all these keys carry the partition's hash tag.

:func:`accept_call` lays a batch out as the script's keys and arguments (their
layout is the script's, ``lua/accept.lua``, through :mod:`quizboard.store.scripts`),
and :func:`parse_result` reads its reply for one request: both pure. The API's
intake (:mod:`quizboard.api.intake`) sends the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from quizboard.core.errors import Conflict, Forbidden, NameTaken, QuizboardError, RateLimited
from quizboard.core.events import ENCODER, AnswerEvent, JoinEvent, LiveAnswerHead
from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.core.names import name_key
from quizboard.store.scripts import (
    AcceptHead,
    AcceptItem,
    AcceptKeys,
    JoinItem,
    LiveItem,
    flat,
    source,
)

ACCEPT = source("accept.lua")

WINDOW_MS = 1000  # the rate limits' window


@dataclass(frozen=True, slots=True)
class LiveAnswer:
    """An answer to a live quiz's question: what the API knows of it, its verdict's
    share of the points (and the penalty should that be 0), and where it goes in the
    tally. The script adds the points and the streak."""

    head: LiveAnswerHead
    position: int
    bucket: str
    share: float
    penalty: int


@dataclass(frozen=True, slots=True)
class Pending:
    """One join or answer to accept; an answer's marks live until ``keep_until_ms``."""

    partition: int
    event: JoinEvent | AnswerEvent | LiveAnswer
    address: str
    keep_until_ms: int = 0
    late_join: bool = True  # a join: whether a live quiz takes it after its first question
    team_count: int = 0  # a join to a team quiz: how many teams it has


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


#: What the accepting script answers for a join of a player who had joined before.
REJOINED = "="


@dataclass(frozen=True, slots=True)
class Joined:
    """What the accepting script did with a join: the entry it added (``None`` for a
    player who had joined before, which adds none), and a team quiz's player's team."""

    entry: str | None
    team: int | None

    @classmethod
    def read(cls, reply: str) -> Joined:
        """A join's reply: ``'id'`` or ``'='``, then the team's index in a team quiz."""
        head, _, team = reply.partition(" ")
        return cls(None if head == REJOINED else head, int(team) if team else None)


def accept_call(
    keys: Keys, limits: Limits, partition: int, batch: Sequence[Pending]
) -> tuple[list[str], list[Any]]:
    """The keys and arguments of one ACCEPT call for ``batch``, all of ``partition``."""
    names = flat(AcceptKeys(keys.stream(partition, JOINS), keys.stream(partition, ANSWERS)))
    numbers: dict[str, int] = {}

    def number(key: str) -> int:
        if key not in numbers:
            names.append(key)
            numbers[key] = len(names)
        return numbers[key]

    args = flat(AcceptHead(limits.per_player, limits.per_address, WINDOW_MS))
    for pending in batch:
        event = pending.event
        quiz_id = event.head.quiz_id if isinstance(event, LiveAnswer) else event.quiz_id
        address_key = number(keys.rate(partition, quiz_id, "address", pending.address))
        if isinstance(event, JoinEvent):
            quiz = keys.quiz(partition, event.quiz_id)
            item = AcceptItem("j", number(quiz.players), event.player_id,
                              ENCODER.encode(event), event.display_name, 0, address_key,
                              number(quiz.removed))  # fmt: skip
            room = JoinItem(number(quiz.room), number(quiz.held), number(quiz.leaderboard),
                            number(quiz.live), "1" if pending.late_join else "0",
                            number(quiz.names), name_key(event.display_name),
                            number(quiz.team_of), number(quiz.team_board),
                            number(quiz.team_sizes), pending.team_count,
                            -1 if event.team is None else event.team)  # fmt: skip
            args += flat(item) + flat(room)
            continue
        if isinstance(event, LiveAnswer):
            args += _live_args(keys, partition, pending, event, number, address_key)
            continue
        quiz = keys.quiz(partition, event.quiz_id)
        player_key = number(keys.rate(partition, event.quiz_id, "player", event.player_id))
        item = AcceptItem("a", number(quiz.answered), f"{event.player_id}:{event.question_id}",
                          ENCODER.encode(event), pending.keep_until_ms, player_key,
                          address_key, number(quiz.removed))  # fmt: skip
        args += flat(item)
    return names, args


def _live_args(
    keys: Keys,
    partition: int,
    pending: Pending,
    answer: LiveAnswer,
    number: Callable[[str], int],
    address_key: int,
) -> list[Any]:
    head = answer.head
    quiz = keys.quiz(partition, head.quiz_id)
    player_key = number(keys.rate(partition, head.quiz_id, "player", head.player_id))
    item = AcceptItem(
        "l", number(quiz.answered), f"{head.player_id}:{head.question_id}",
        ENCODER.encode(head)[:-1], pending.keep_until_ms, player_key, address_key,
        number(quiz.removed),
    )  # fmt: skip
    live = LiveItem(
        number(quiz.live), number(quiz.tally), number(quiz.streaks), number(quiz.players),
        number(keys.closing(partition)), answer.position, repr(answer.share), answer.penalty,
        answer.bucket, head.player_id, head.quiz_id, keys.channel(partition, head.quiz_id),
    )  # fmt: skip
    return flat(item) + flat(live)


#: What the accepting script answers for a request it refuses: the error, its code and
#: its message.
REFUSALS: dict[str, tuple[type[QuizboardError], str, str]] = {
    "#closed": (Conflict, "question_closed", "the question is closed: its time is up"),
    "#not_open": (
        Conflict, "question_not_open", "the question is not open: the host has not opened it"
    ),
    "#removed": (Forbidden, "player_removed", "the host removed this player from the quiz"),
    "#banned": (Forbidden, "player_removed", "the host banned this player from the quiz"),
    "#locked": (Conflict, "lobby_locked", "the host has locked the lobby: no one may join"),
    "#late": (
        Conflict, "late_join_closed", "the quiz has started, and it takes no latecomers"
    ),
    "#name_taken": (
        NameTaken, "name_taken", "another player in this quiz has this name: choose another"
    ),
}  # fmt: skip


def parse_result(value: str) -> Result:
    """One request's reply from the accepting script: its entry id, ``None`` for an answer
    already given, or :class:`RateLimited` for ``!`` and the ms until the limit resets."""
    if value.startswith("!"):
        retry_ms = max(1, int(value[1:]) if value[1:].lstrip("-").isdigit() else WINDOW_MS)
        return RateLimited("too many requests; slow down", retry_after=-(-retry_ms // 1000))
    if value.startswith("#"):
        error, code, message = REFUSALS[value]
        return error(message, code=code)
    return value or None
