from __future__ import annotations

import pytest

from quizboard.core.errors import InvalidInput
from quizboard.core.questions import Question
from quizboard.core.scoring import Verdict, judge, normalize

CHOICE = Question(id=1, position=1, kind="choice", prompt="?", points=100,
                  choices=["a", "b", "c"], answer=1)  # fmt: skip
TEXT = Question(id=2, position=2, kind="text", prompt="?", points=150,
                accepted=["colour", "ice cream"])  # fmt: skip


def test_right_choice_earns_the_points() -> None:
    assert judge(CHOICE, 1) == Verdict(True, 100, 1.0)


def test_wrong_choice_earns_nothing() -> None:
    assert judge(CHOICE, 0) == Verdict(False, 0)


@pytest.mark.parametrize("answer", [-1, 3, "1", 10**30])
def test_choice_out_of_range_or_not_an_index_is_invalid(answer: int | str) -> None:
    with pytest.raises(InvalidInput) as caught:
        judge(CHOICE, answer)
    assert caught.value.code == "invalid_answer"


@pytest.mark.parametrize("answer", ["colour", "COLOUR", "  Colour ", "ice  Cream", "\uff23olour"])
def test_text_ignores_case_and_spacing(answer: str) -> None:
    assert judge(TEXT, answer) == Verdict(True, 150, 1.0)


@pytest.mark.parametrize("answer", ["color", "icecream", ""])
def test_text_misspelling_is_wrong(answer: str) -> None:
    assert judge(TEXT, answer) == Verdict(False, 0)


def test_text_question_refuses_a_number_or_a_novel() -> None:
    with pytest.raises(InvalidInput):
        judge(TEXT, 1)
    with pytest.raises(InvalidInput):
        judge(TEXT, "x" * 201)


def test_normalize_folds_case_width_and_whitespace() -> None:
    assert normalize("  Straße\tNOW ") == "strasse now"
