"""Every kind of question: its rules, its scoring and its round trip, as pure functions."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from quizboard.core.errors import InvalidInput
from quizboard.core.models import QuizIn, check_quiz, question_points
from quizboard.core.questions import (
    Question,
    QuestionIn,
    public_question,
    question_in,
    shown_order,
    stored_question,
)
from quizboard.core.scoring import answer_text, judge, live_points, penalized, penalty_of

QUESTION_IN = msgspec.json.Decoder(QuestionIn)


def question(**spec: Any) -> Question:
    """The stored question for ``spec`` (points 100 unless it says), id 41."""
    sent = QUESTION_IN.decode(msgspec.json.encode({"prompt": "?", "points": 100, **spec}))
    stored = stored_question(1, sent.points or 0, None, sent)
    return msgspec.structs.replace(stored, id=41)


def points(q: Question, answer: Any) -> tuple[bool, int]:
    verdict = judge(q, answer)
    return verdict.correct, verdict.points


def test_true_false_is_a_choice_of_two() -> None:
    q = question(kind="true_false", answer=False)
    assert q.choices == ["True", "False"]
    assert points(q, 1) == (True, 100)
    assert points(q, 0) == (False, 0)


def test_multi_is_all_or_nothing_or_right_picks_minus_wrong_ones() -> None:
    spec = {"kind": "multi", "choices": ["a", "b", "c", "d"], "answers": [0, 2]}
    whole, partial = question(**spec), question(**spec, partial=True)
    assert points(whole, [2, 0]) == (True, 100)
    assert points(whole, [0]) == (False, 0)
    assert points(partial, [0]) == (False, 50)
    assert points(partial, [0, 1]) == (False, 0)  # one right, one wrong
    assert points(partial, [1, 3]) == (False, 0)  # never below 0
    assert points(partial, []) == (False, 0)


@pytest.mark.parametrize(
    ("options", "typed", "right"),
    [
        ({}, "  Colour ", True),
        ({}, "colour!", False),
        ({"ignore_punctuation": True}, "¡colour!", True),
        ({}, "cafe", False),
        ({"ignore_accents": True}, "cafe", True),
        ({"ignore_case": False}, "Colour", False),
    ],
)
def test_text_compares_as_its_options_say(
    options: dict[str, bool], typed: str, right: bool
) -> None:
    q = question(kind="text", accepted=["colour", "café"], **options)
    assert points(q, typed) == (right, 100 if right else 0)


def test_order_is_shown_shuffled_the_same_for_everyone_and_never_solved() -> None:
    q = question(kind="order", items=["I", "have", "been", "there"])
    shown = shown_order(q, 4)
    assert sorted(shown) == [0, 1, 2, 3]
    assert shown != (0, 1, 2, 3)
    assert shown_order(q, 4) == shown
    assert public_question(q).items == [["I", "have", "been", "there"][i] for i in shown]
    for count in range(2, 8):
        for qid in range(50):
            order = shown_order(msgspec.structs.replace(q, id=qid), count)
            assert order != tuple(sorted(order))


def test_order_scores_the_whole_order_or_its_longest_run() -> None:
    spec = {"kind": "order", "items": ["I", "have", "been", "there", "twice"]}
    whole, partial = question(**spec), question(**spec, partial=True)
    shown = shown_order(whole, 5)

    def placing(*stored: int) -> list[int]:  # the shown indexes that put these in place
        return [shown.index(i) for i in stored]

    assert points(whole, placing(0, 1, 2, 3, 4)) == (True, 100)
    assert points(whole, placing(1, 2, 3, 4, 0)) == (False, 0)
    assert points(partial, placing(1, 2, 3, 4, 0)) == (False, 80)  # a run of 4 of 5
    assert points(partial, placing(4, 3, 2, 1, 0)) == (False, 0)  # no two in a row


def test_match_scores_each_right_pair() -> None:
    pairs = [
        {"left": w, "right": m}
        for w, m in [("big", "large"), ("fast", "quick"), ("glad", "happy"), ("cold", "chilly")]
    ]
    q = question(kind="match", pairs=pairs)
    shown = shown_order(q, 4)
    public = public_question(q)
    assert public.left == ["big", "fast", "glad", "cold"]
    assert public.right == [pairs[i]["right"] for i in shown]
    right = [shown.index(i) for i in range(4)]  # each left side to its own meaning
    assert points(q, right) == (True, 100)
    two_swapped = [right[1], right[0], right[2], right[3]]
    assert points(q, two_swapped) == (False, 50)


def test_a_poll_scores_nothing() -> None:
    q = question(kind="poll", choices=["tea", "coffee"], points=0)
    assert points(q, 1) == (False, 0)
    with pytest.raises(InvalidInput):
        judge(q, 2)


@pytest.mark.parametrize(
    ("spec", "answer"),
    [
        ({"kind": "choice", "choices": ["a", "b"], "answer": 0}, [0]),
        ({"kind": "multi", "choices": ["a", "b"], "answers": [0]}, 0),
        ({"kind": "multi", "choices": ["a", "b"], "answers": [0]}, [0, 0]),
        ({"kind": "multi", "choices": ["a", "b"], "answers": [0]}, [2]),
        ({"kind": "order", "items": ["a", "b", "c"]}, [0, 1]),
        (
            {"kind": "match", "pairs": [{"left": "a", "right": "b"}, {"left": "c", "right": "d"}]},
            [1, 1],
        ),
        ({"kind": "text", "accepted": ["a"]}, [1]),
    ],
)
def test_an_answer_of_the_wrong_shape_is_refused_not_scored(
    spec: dict[str, Any], answer: Any
) -> None:
    with pytest.raises(InvalidInput) as refused:
        judge(question(**spec), answer)
    assert refused.value.code == "invalid_answer"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({"kind": "multi", "choices": ["a", "b"], "answers": [0, 0]}, "twice"),
        ({"kind": "multi", "choices": ["a", "b"], "answers": [2]}, "not indexes"),
        ({"kind": "order", "items": ["a", "A "]}, "repeat"),
        (
            {"kind": "match", "pairs": [{"left": "a", "right": "x"}, {"left": "b", "right": "x"}]},
            "right side",
        ),
        ({"kind": "poll", "choices": ["a", "b"], "points": 5}, "poll"),
    ],
)
def test_rules_across_fields_name_the_question(spec: dict[str, Any], says: str) -> None:
    body = {
        "title": "t",
        "available_at": "2030-01-01T00:00:00Z",
        "ends_at": "2030-01-02T00:00:00Z",
        "questions": [{"prompt": "?", "points": 1, **spec}],
    }
    quiz = msgspec.json.decode(msgspec.json.encode(body), type=QuizIn)
    with pytest.raises(InvalidInput, match=f"question 1: .*{says}"):
        check_quiz(quiz)


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "choice", "choices": ["a", "b"], "answer": 1, "explanation": "b!"},
        {"kind": "true_false", "answer": True},
        {"kind": "multi", "choices": ["a", "b", "c"], "answers": [0, 2], "partial": True},
        {"kind": "text", "accepted": ["a"], "ignore_accents": True},
        {"kind": "order", "items": ["a", "b"], "partial": True},
        {"kind": "match", "pairs": [{"left": "a", "right": "b"}, {"left": "c", "right": "d"}]},
        {"kind": "poll", "choices": ["a", "b"], "points": 0},
    ],
)
def test_a_stored_question_is_sent_again_as_it_came(spec: dict[str, Any]) -> None:
    q = question(**spec)
    again = question_in(q, live=False)
    sent = QUESTION_IN.decode(msgspec.json.encode({"prompt": "?", "points": 100, **spec}))
    assert again == sent
    assert stored_question(1, q.points, None, again) == msgspec.structs.replace(q, id=0)


def test_an_answer_is_stored_as_compact_text() -> None:
    assert [answer_text(a) for a in (2, "word", [2, 0, 1])] == ["2", "word", "[2,0,1]"]


def test_a_wrong_answer_costs_the_penalty_but_never_on_a_poll_or_a_warm_up() -> None:
    choice = question(kind="choice", choices=["a", "b"], answer=0)
    warm_up = question(kind="choice", choices=["a", "b"], answer=0, points=0)
    poll = question(kind="poll", choices=["a", "b"], points=0)
    partial = question(kind="multi", choices=["a", "b", "c"], answers=[0, 1], partial=True)
    assert penalty_of(choice, 30) == 30
    assert penalty_of(warm_up, 30) == penalty_of(poll, 30) == 0
    assert penalized(judge(choice, 1), 30) == (False, -30, 0.0)
    assert penalized(judge(choice, 0), 30) == (True, 100, 1.0)
    assert penalized(judge(partial, [0]), 30) == (False, 50, 0.5)  # a share: no penalty
    assert penalized(judge(partial, [0, 2]), 30) == (False, -30, 0.0)  # one right, one wrong


@pytest.mark.parametrize(
    ("share", "elapsed", "streak", "penalty", "expected"),
    [
        (1.0, 0, 1, 0, 1000),
        (1.0, 0, 3, 0, 1200),  # the bonus of a streak of 3
        (0.5, 0, 0, 0, 500),  # a share earns its part of the speed points, no bonus
        (0.5, 20_000, 0, 0, 250),  # at the close: half of its part
        (2 / 3, 10_000, 0, 0, 500),
        (0.0, 0, 0, 40, -40),  # nothing earned: the penalty
        (0.0, 0, 0, 0, 0),
    ],
)
def test_live_points_are_the_share_of_the_speed_points(
    share: float, elapsed: int, streak: int, penalty: int, expected: int
) -> None:
    assert live_points(1000, share, elapsed, 20_000, streak, penalty) == expected


def test_a_question_with_no_timer_earns_full_speed_at_any_time() -> None:
    assert live_points(1000, 1.0, 10**9, 0, 1, 0) == 1000
    assert live_points(1000, 0.25, 10**9, 0, 0, 0) == 250


def test_a_live_question_has_20_s_when_it_says_nothing_and_no_timer_when_it_says_null() -> None:
    said = [QUESTION_IN.decode(msgspec.json.encode({"kind": "poll", "prompt": "?",
                                                    "choices": ["a", "b"], **limit}))
            for limit in ({}, {"time_limit_s": None}, {"time_limit_s": 30})]  # fmt: skip
    assert [question_points("live", q)[1] for q in said] == [20, None, 30]
    assert [question_points("open", q)[1] for q in said[:2]] == [None, None]
    untimed = stored_question(1, 1000, None, said[1])
    assert question_in(untimed, live=True).time_limit_s is None  # null: still no timer
    assert question_in(untimed, live=False).time_limit_s is msgspec.UNSET
