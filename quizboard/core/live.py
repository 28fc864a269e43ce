"""Live quizzes: the messages a host's moves send to the watchers, and the quiz's state.

Times are milliseconds since the epoch on Valkey's clock (its ``TIME``), the
one clock that decides when a question opened, when it closes and how long an
answer took, whichever API process took the request.

The scripts that move a live quiz write some fields themselves: the times they
read from ``TIME``, the counts they keep. So a message is encoded here up to
those fields (its *head*: the JSON without its closing brace), and the script
appends the rest, with names from :func:`~quizboard.core.events.wire_name`. A
test decodes what the scripts publish with the decoders below.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import Struct

from quizboard.core.distribution import slot_count, slots
from quizboard.core.models import Mode, QuizConfig
from quizboard.core.questions import Pair, PublicQuestion, Question, public_question
from quizboard.core.scoring import Answer

Phase = Literal["lobby", "question", "results", "finished"]
PHASES: tuple[Phase, ...] = ("lobby", "question", "results", "finished")


def starting_phase(mode: Mode) -> Phase | None:
    """Where a new quiz stands: a live one in its lobby; an open one has no phases."""
    return "lobby" if mode == "live" else None


# The messages' ``type``s, as clients and the gateway tell them apart.
QUESTION_TYPE = "question"
RESULTS_TYPE = "question_results"
FINISHED_TYPE = "quiz_finished"
LIVE_TYPES = frozenset({QUESTION_TYPE, RESULTS_TYPE, FINISHED_TYPE})


class QuestionHead(
    Struct, frozen=True, forbid_unknown_fields=True, tag_field="type", tag=QUESTION_TYPE
):
    quiz_id: int
    question: PublicQuestion


class QuestionMessage(QuestionHead, frozen=True, tag=QUESTION_TYPE):
    """A question opened: every watcher shows it and counts down to ``closes_at``
    (``null``: no timer; it stays open until the host reveals it)."""

    opened_at: int
    closes_at: int | None
    server_time: int  # the sender's clock when sent: lets a client correct its own


class ResultsHead(
    Struct,
    frozen=True,
    forbid_unknown_fields=True,
    tag_field="type",
    tag=RESULTS_TYPE,
    kw_only=True,
    omit_defaults=True,
):
    """The right answer as its kind has it: ``answer``, the right choice's index
    (``choice``, ``true_false``) or the accepted spellings (``text``; ``[]`` for the
    rest); ``answers``, the right choices of a ``multi``; ``items``, an ``order``'s in
    the right order; ``pairs``, a ``match``'s; and the teacher's ``explanation``."""

    quiz_id: int
    question_id: int
    answer: int | list[str]
    answers: list[int] | None = None
    items: list[str] | None = None
    pairs: list[Pair] | None = None
    explanation: str | None = None


class QuestionResults(ResultsHead, frozen=True, tag=RESULTS_TYPE):
    """A question closed: its right answer and how everyone answered.

    ``distribution`` counts the answers per choice (a list, in choice order) or,
    for a text question, ``{"correct": n, "wrong": m}``.
    """

    distribution: list[int] | dict[str, int]
    answered: int
    total_players: int


class QuizFinished(
    Struct,
    frozen=True,
    forbid_unknown_fields=True,
    omit_defaults=True,
    tag_field="type",
    tag=FINISHED_TYPE,
):
    """The host ended the quiz: no more answers; the final board follows.

    ``final_as_of`` is the quiz's last accepted answer: the first snapshot whose
    ``as_of`` reaches it is the final board (none is to come when it is empty).
    """

    quiz_id: int
    final_as_of: str = ""


LiveMessage = QuestionMessage | QuestionResults | QuizFinished


class LiveState(Struct, frozen=True):
    """``GET /quizzes/{id}/state``: where a quiz is now."""

    mode: str
    phase: Phase
    question: PublicQuestion | None
    opened_at: int | None
    closes_at: int | None
    server_time: int
    answered: int | None = None  # answers to the current question so far
    total_players: int = 0


ENCODER = msgspec.json.Encoder()
MESSAGE_DECODER = msgspec.json.Decoder(LiveMessage)
QUESTION_DECODER = msgspec.json.Decoder(QuestionMessage)
RESULTS_DECODER = msgspec.json.Decoder(QuestionResults)
FINISHED_DECODER = msgspec.json.Decoder(QuizFinished)


def head(message: Struct) -> bytes:
    """``message`` as JSON without its closing brace, for a script to finish."""
    return ENCODER.encode(message)[:-1]


def question_head(quiz_id: int, question: Question) -> bytes:
    return head(QuestionHead(quiz_id, public_question(question)))


def results_head(quiz_id: int, question: Question) -> bytes:
    answer: int | list[str] = (
        question.answer if question.answer is not None else list(question.accepted or [])
    )
    return head(
        ResultsHead(
            quiz_id=quiz_id, question_id=question.id, answer=answer,
            answers=question.answers, items=question.items, pairs=question.pairs,
            explanation=question.explanation,
        )
    )  # fmt: skip


def buckets(question: Question) -> str:
    """How a question's answers are counted: in ``"choices:N"`` slots (see
    :mod:`quizboard.core.distribution`), or ``"text"``: right and wrong."""
    size = slot_count(question)
    return "text" if size is None else f"choices:{size}"


def bucket(question: Question, answer: Answer, correct: bool) -> str:
    """The counts an answer adds to: its slots, comma-separated (none: ``""``), or
    ``correct`` / ``wrong``."""
    if slot_count(question) is None:
        return "correct" if correct else "wrong"
    return ",".join(map(str, slots(question, answer)))


def open_state(config: QuizConfig, now_ms: int) -> LiveState:
    """An open quiz's state: every question is open between ``available_at`` and
    ``ends_at`` (phase ``question``, with none in particular)."""
    phase: Phase = "question"
    if now_ms < config.available_at.timestamp() * 1000:
        phase = "lobby"
    elif now_ms >= config.ends_at.timestamp() * 1000:
        phase = "finished"
    return LiveState(config.mode, phase, None, None, None, now_ms)


def phase_at(stored: str | None, closes_ms: int | None, now_ms: int) -> Phase:
    """The phase a live quiz is in at ``now_ms``: an open question whose time is up is
    already closed, even before anything has published its results."""
    if stored == "question" and closes_ms is not None and now_ms > closes_ms:
        return "results"
    return next((phase for phase in PHASES if phase == stored), "lobby")
