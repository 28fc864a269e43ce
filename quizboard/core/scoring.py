"""Pure scoring: is an answer right, and how many points does it earn."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from quizboard.core.errors import InvalidInput
from quizboard.core.models import Question

MAX_TEXT_ANSWER = 200


class Verdict(NamedTuple):
    """The outcome of one answer."""

    correct: bool
    points: int


def normalize(text: str) -> str:
    """Fold case, Unicode forms and runs of whitespace, so spellings compare fairly."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split())


def judge(question: Question, answer: int | str) -> Verdict:
    """Score ``answer`` against ``question``.

    A choice question takes the index of a choice; a text question takes a
    string, compared case- and space-insensitively with each accepted spelling.
    An answer of the wrong shape raises :class:`InvalidInput`, not a wrong verdict.
    """
    if question.kind == "choice":
        choices = question.choices or []
        if not isinstance(answer, int) or not 0 <= answer < len(choices):
            raise InvalidInput(
                f"answer must be the index of a choice, 0 to {len(choices) - 1}",
                code="invalid_answer",
            )
        correct = answer == question.answer
    else:
        if not isinstance(answer, str) or len(answer) > MAX_TEXT_ANSWER:
            raise InvalidInput(
                f"answer must be a string of at most {MAX_TEXT_ANSWER} characters",
                code="invalid_answer",
            )
        given = normalize(answer)
        correct = any(given == normalize(spelling) for spelling in question.accepted or [])
    return Verdict(correct, question.points if correct else 0)
