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


# Live quizzes: the faster a right answer, the more it earns, and a run of right
# answers earns a bonus. These are the formulas; the accepting script applies the
# same ones on Valkey's clock, and a test holds the two together.

MAX_STREAK_BONUS = 500
STREAK_STEP = 100


def speed_points(points: int, elapsed_ms: int, limit_ms: int) -> int:
    """``round((1 - (t / T) / 2) * points)`` for a right answer ``t`` ms after the question
    opened, with ``T`` its time limit: full points at once, half at the close.

    ``t`` is clamped to ``[0, T]``: the clock that decides the close also measures
    ``t``, so an accepted answer is never later than ``T``. Rounds half up, as Lua's
    ``math.floor(x + 0.5)`` does in the accepting script.
    """
    if limit_ms <= 0:
        return points
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    exact = (1 - (elapsed / limit_ms) / 2) * points
    return int(exact + 0.5)


def streak_after(streak: int, last_correct: int | None, position: int, correct: bool) -> int:
    """The player's streak after answering the question at ``position``.

    A right answer to the question right after the player's last right one
    extends the streak; any other right answer starts one at 1; a wrong answer
    (or a missed question, seen as a gap in positions) ends it at 0.
    """
    if not correct:
        return 0
    if last_correct is not None and position == last_correct + 1:
        return streak + 1
    return 1


def streak_bonus(streak: int) -> int:
    """``min(100 * (streak - 1), 500)`` for a streak of at least 1; 0 otherwise."""
    if streak < 1:
        return 0
    return min(STREAK_STEP * (streak - 1), MAX_STREAK_BONUS)


def open_at(now_ms: int, opened_ms: int, closes_ms: int) -> bool:
    """Whether a question opened at ``opened_ms`` still takes answers at ``now_ms``: up to
    and including ``closes_ms``, not one millisecond after."""
    return opened_ms <= now_ms <= closes_ms
