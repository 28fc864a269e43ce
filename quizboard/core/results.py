"""A quiz's results as exported: one row per player, and a summary per question."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from msgspec import Struct
from msgspec.structs import astuple, fields

from quizboard.core.distribution import distribution, typed
from quizboard.core.questions import Question


class PlayerResult(Struct, frozen=True):
    """One player's line of the results, in rank order."""

    rank: int
    player_id: str
    display_name: str
    score: int
    correct: int
    answered: int
    first_answer_at: datetime | None
    last_answer_at: datetime | None
    team: str | None = None  # a team quiz's: the player's team


class QuestionResult(Struct, frozen=True, omit_defaults=True):
    """How one question went: ``distribution`` counts per slot (choice, position or
    pair: see :mod:`quizboard.core.distribution`), or right and wrong for a typed
    answer, whose most typed answers ``typed`` lists."""

    question_id: int
    position: int
    prompt: str
    kind: str
    answered: int
    correct_share: float
    distribution: list[int] | dict[str, int]
    typed: dict[str, int] | None = None


class QuizResults(Struct, frozen=True):
    """``GET /quizzes/{id}/results`` as JSON (streamed in this shape)."""

    quiz_id: int
    title: str
    mode: str
    questions: list[QuestionResult]
    players: list[PlayerResult]


CSV_COLUMNS = tuple(PlayerResult.__struct_fields__)
# The columns that hold a time, written in ISO 8601.
_TIMES = tuple(i for i, f in enumerate(fields(PlayerResult)) if f.type == datetime | None)
FORMATS = ("csv", "json")  # how results are exported


def question_result(question: Question, counts: Mapping[str, int], correct: int) -> QuestionResult:
    """A question's summary from its answers counted by given answer, and the right ones."""
    answered = sum(counts.values())
    share = round(correct / answered, 4) if answered else 0.0
    return QuestionResult(
        question.id, question.position, question.prompt, question.kind, answered, share,
        distribution(question, counts, correct), typed(question, counts),
    )  # fmt: skip


def csv_lines(rows: Iterable[PlayerResult], header: bool = False) -> str:
    """``rows`` as CSV text, after the header line when asked."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header:
        writer.writerow(CSV_COLUMNS)
    for row in rows:
        cells: list[Any] = list(astuple(row))  # in CSV_COLUMNS' order; None is written ""
        for i in _TIMES:
            if cells[i] is not None:
                cells[i] = cells[i].isoformat()
        writer.writerow(cells)
    return out.getvalue()
