"""Pure scoring: is an answer right, and how many points does it earn."""

from __future__ import annotations

import itertools
import unicodedata
from typing import NamedTuple

from quizboard.core.errors import InvalidInput
from quizboard.core.questions import Question, shown_order

MAX_TEXT_ANSWER = 200


Answer = int | str | list[int]


class Verdict(NamedTuple):
    """The outcome of one answer: ``correct`` when wholly right; ``share`` of the
    question's points it earns (1 when right; between 0 and 1 for a partly right
    ``multi``, ``order`` or ``match`` that allows it), and those ``points``."""

    correct: bool
    points: int
    share: float = 0.0


def answer_text(answer: Answer) -> str:
    """An answer as stored with its event: the word, the index, or ``[2,0,1]``."""
    if isinstance(answer, list):
        return "[" + ",".join(map(str, answer)) + "]"
    return str(answer)


def normalize(text: str, *, case: bool = True, accents: bool = False,
              punctuation: bool = False) -> str:  # fmt: skip
    """Fold Unicode forms and runs of whitespace, and as asked case, accents (``café``
    is ``cafe``) and punctuation at either end, so spellings compare fairly."""
    folded = unicodedata.normalize("NFKC", text)
    if case:
        folded = folded.casefold()
    if accents:
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = " ".join(folded.split())
    if punctuation:
        words = words.strip(_PUNCTUATION).strip()
    return words


_PUNCTUATION = (
    "".join(chr(c) for c in range(0x2070) if unicodedata.category(chr(c)).startswith("P")) + " "
)


def judge(question: Question, answer: Answer) -> Verdict:
    """Score ``answer`` against ``question``. An answer of the wrong shape for the
    kind raises :class:`InvalidInput`, not a wrong verdict."""
    match question.kind:
        case "choice" | "true_false":
            right = _index(answer, len(question.choices or [])) == question.answer
            return _share(question, right, 0.0, partial=False)
        case "poll":
            _index(answer, len(question.choices or []))
            return Verdict(False, 0)
        case "multi":
            return _multi(question, _indexes(answer, len(question.choices or [])))
        case "order":
            return _order(question, _indexes(answer, len(question.items or []), every=True))
        case "match":
            return _match(question, _indexes(answer, len(question.pairs or []), every=True))
    return _text(question, answer)


def _index(answer: Answer, count: int) -> int:
    if not isinstance(answer, int) or not 0 <= answer < count:
        raise InvalidInput(
            f"answer must be the index of a choice, 0 to {count - 1}", code="invalid_answer"
        )
    return answer


def _indexes(answer: Answer, count: int, *, every: bool = False) -> list[int]:
    """A list of distinct indexes below ``count``; with ``every``, each exactly once."""
    if (
        not isinstance(answer, list)
        or any(not 0 <= i < count for i in answer)
        or len(set(answer)) != len(answer)
        or (every and len(answer) != count)
    ):
        what = "each of the" if every else "distinct"
        raise InvalidInput(
            f"answer must be a list of {what} indexes 0 to {count - 1}", code="invalid_answer"
        )
    return answer


def _share(question: Question, whole: bool, share: float, partial: bool) -> Verdict:
    """All the points for a wholly right answer; else, when ``partial``, ``share`` of
    them, and none otherwise."""
    if whole:
        return Verdict(True, question.points, 1.0)
    if not partial:
        return Verdict(False, 0)
    return Verdict(False, int(question.points * share + 0.5), share)


def _multi(question: Question, picked: list[int]) -> Verdict:
    """Partial: right picks minus wrong picks, over the right choices; never below 0."""
    answers = set(question.answers or [])
    hits = len(answers.intersection(picked))
    share = max(0, hits - (len(picked) - hits)) / len(answers)
    return _share(question, set(picked) == answers, share, question.partial)


def _order(question: Question, placed: list[int]) -> Verdict:
    """Partial: the longest run of items placed right after each other, over all of
    them (a run of one is no run). Adjacent pairs are what a learner of a phrase
    knows; credit by absolute position would give nothing for a right phrase put
    one place late."""
    shown = shown_order(question, len(question.items or []))
    stored = [shown[k] for k in placed]
    longest = run = 1
    for before, after in itertools.pairwise(stored):
        run = run + 1 if after == before + 1 else 1
        longest = max(longest, run)
    share = longest / len(stored) if longest > 1 else 0.0
    return _share(question, stored == sorted(stored), share, question.partial)


def _match(question: Question, chosen: list[int]) -> Verdict:
    """Points for each right pair: ``chosen[i]`` is the right side shown that the
    player matched to left side ``i``."""
    shown = shown_order(question, len(question.pairs or []))
    right = sum(1 for left, k in enumerate(chosen) if shown[k] == left)
    return _share(question, right == len(chosen), right / len(chosen), partial=True)


def _text(question: Question, answer: Answer) -> Verdict:
    if not isinstance(answer, str) or len(answer) > MAX_TEXT_ANSWER:
        raise InvalidInput(
            f"answer must be a string of at most {MAX_TEXT_ANSWER} characters",
            code="invalid_answer",
        )
    options = {"case": question.ignore_case, "accents": question.ignore_accents,
               "punctuation": question.ignore_punctuation}  # fmt: skip
    given = normalize(answer, **options)
    right = any(given == normalize(s, **options) for s in question.accepted or [])
    return _share(question, right, 0.0, partial=False)


def penalty_of(question: Question, penalty: int) -> int:
    """What a wrong answer to ``question`` costs in a quiz whose ``wrong_answer_penalty``
    is ``penalty``: nothing for a poll or a warm-up (a question worth 0 points)."""
    return penalty if question.points > 0 and question.kind != "poll" else 0


def penalized(verdict: Verdict, penalty: int) -> Verdict:
    """An open quiz's verdict with the penalty: an answer that earns no share of the
    points loses ``penalty`` (from :func:`penalty_of`)."""
    return verdict if verdict.share > 0 else Verdict(verdict.correct, -penalty, 0.0)


# Live quizzes: the faster a right answer, the more it earns, and a run of right
# answers earns a bonus. These are the formulas; the accepting script applies the
# same ones on Valkey's clock, and a test holds the two together.

MAX_STREAK_BONUS = 500
STREAK_STEP = 100


def speed_points(points: int, elapsed_ms: int, limit_ms: int, share: float = 1.0) -> int:
    """``round((1 - (t / T) / 2) * points * share)`` for a right (or, with ``share``
    below 1, partly right) answer ``t`` ms after the question opened, with ``T`` its
    time limit: full points at once, half at the close. A question with no timer
    (``T`` 0) gives full points at any time.

    ``t`` is clamped to ``[0, T]``: the clock that decides the close also measures
    ``t``, so an accepted answer is never later than ``T``. Rounds half up, as Lua's
    ``math.floor(x + 0.5)`` does in the accepting script.
    """
    if limit_ms <= 0:
        return int(points * share + 0.5)
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    exact = (1 - (elapsed / limit_ms) / 2) * points * share
    return int(exact + 0.5)


def live_points(
    points: int, share: float, elapsed_ms: int, limit_ms: int, streak: int, penalty: int
) -> int:
    """A live answer's points: its share of the speed points, the streak bonus for a
    wholly right one, and minus ``penalty`` for one that earns no share."""
    if share <= 0:
        return -penalty
    bonus = streak_bonus(streak) if share >= 1 else 0
    return speed_points(points, elapsed_ms, limit_ms, share) + bonus


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
