"""How a question's answers split, as each kind counts them.

Every kind but ``text`` counts answers in *slots*, one per choice, item or pair:

- ``choice``, ``true_false``, ``poll``: the choice picked;
- ``multi``: each choice picked;
- ``order``: each position where the right item was put;
- ``match``: each pair matched right (in the order of the left sides).

A ``text`` question counts right and wrong, and its results list the answers
typed most often (:data:`TYPED_LIMIT` of them, as compared for that question).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from quizboard.core.questions import Question, shown_order
from quizboard.core.scoring import Answer, normalize

TYPED_LIMIT = 10


def slot_count(question: Question) -> int | None:
    """How many slots ``question``'s answers are counted in; ``None`` for a text one."""
    if question.kind == "text":
        return None
    return len(question.pairs or question.items or question.choices or [])


def slots(question: Question, answer: Answer) -> list[int]:
    """The slots a valid ``answer`` counts in."""
    if isinstance(answer, int):
        return [answer]
    if not isinstance(answer, list):
        return []
    if question.kind == "multi":
        return sorted(answer)
    shown = shown_order(question, len(answer))
    if question.kind == "order":  # the positions holding the item that belongs there
        return [k for k, placed in enumerate(answer) if shown[placed] == k]
    return [left for left, placed in enumerate(answer) if shown[placed] == left]  # match


def stored_answer(text: str) -> Answer:
    """An answer as its event stored it (see ``answer_text``), parsed back."""
    if text.startswith("[") and text.endswith("]"):
        return [int(i) for i in text[1:-1].split(",") if i]
    return int(text) if text.isdigit() else text


def distribution(
    question: Question, counts: Mapping[str, int], correct: int
) -> list[int] | dict[str, int]:
    """The split of the answers counted by their stored text: per slot, or right and wrong."""
    size = slot_count(question)
    if size is None:
        return {"correct": correct, "wrong": sum(counts.values()) - correct}
    per_slot = [0] * size
    for text, n in counts.items():
        answer = stored_answer(text) if question.kind != "text" else text
        for slot in slots(question, answer):
            if 0 <= slot < size:
                per_slot[slot] += n
    return per_slot


def typed(question: Question, counts: Mapping[str, int]) -> dict[str, int] | None:
    """A text question's most typed answers (as compared: case and spaces folded as
    the question says), most first; ``None`` for other kinds."""
    if question.kind != "text":
        return None
    folded: Counter[str] = Counter()
    for text, n in counts.items():
        folded[normalize(text, case=question.ignore_case, accents=question.ignore_accents,
                         punctuation=question.ignore_punctuation)] += n  # fmt: skip
    return dict(folded.most_common(TYPED_LIMIT))
