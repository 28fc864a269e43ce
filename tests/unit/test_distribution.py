"""How each kind's answers are counted, in slots or as right and wrong."""

from __future__ import annotations

from typing import Any

import msgspec

from quizboard.core.distribution import distribution, slots, stored_answer, typed
from quizboard.core.questions import Question, QuestionIn, shown_order, stored_question
from quizboard.core.scoring import answer_text

DECODER = msgspec.json.Decoder(QuestionIn)


def question(**spec: Any) -> Question:
    sent = DECODER.decode(msgspec.json.encode({"prompt": "?", "points": 10, **spec}))
    return msgspec.structs.replace(stored_question(1, 10, None, sent), id=7)


def shown_answer(q: Question, wanted: list[int]) -> list[int]:
    """The answer that puts stored item ``wanted[k]`` at place ``k``."""
    shown = shown_order(q, len(wanted))
    return [shown.index(w) for w in wanted]


def test_each_kind_counts_in_its_slots() -> None:
    multi = question(kind="multi", choices=["a", "b", "c"], answers=[0, 2])
    assert slots(multi, [2, 0]) == [0, 2]
    order = question(kind="order", items=["a", "b", "c", "d"])
    assert slots(order, shown_answer(order, [0, 1, 3, 2])) == [0, 1]  # two in place
    pairs = [{"left": s, "right": s.upper()} for s in "abc"]
    match = question(kind="match", pairs=pairs)
    assert slots(match, shown_answer(match, [1, 0, 2])) == [2]
    choice = question(kind="choice", choices=["a", "b"], answer=1)
    assert slots(choice, 1) == [1]


def test_the_distribution_is_counted_from_stored_answers() -> None:
    order = question(kind="order", items=["a", "b", "c"])
    right, half = shown_answer(order, [0, 1, 2]), shown_answer(order, [0, 2, 1])
    counts = {answer_text(right): 3, answer_text(half): 2}
    assert stored_answer(answer_text(right)) == right
    assert distribution(order, counts, correct=3) == [5, 3, 3]
    text = question(kind="text", accepted=["Colour"])
    assert distribution(text, {"colour": 2, "color": 1}, correct=2) == {"correct": 2, "wrong": 1}


def test_a_text_question_lists_its_most_typed_answers_as_compared() -> None:
    text = question(kind="text", accepted=["cafe"], ignore_accents=True)
    counts = {"Café": 2, "cafe ": 1, "tea": 1, **{f"w{i}": 1 for i in range(20)}}
    top = typed(text, counts)
    assert top is not None
    assert list(top.items())[:2] == [("cafe", 3), ("tea", 1)]
    assert len(top) == 10
    assert typed(question(kind="poll", choices=["a", "b"], points=0), {"0": 1}) is None
