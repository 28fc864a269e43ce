from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from quizboard.core.errors import InvalidInput, QuizEnded, QuizNotOpen
from quizboard.core.models import AnswerIn, QuizIn, check_quiz, clean_display_name
from tests.support.quizzes import quiz_body

DECODER = msgspec.json.Decoder(QuizIn)


def decode(body: dict[str, Any]) -> QuizIn:
    return DECODER.decode(json.dumps(body))


def test_the_sample_quiz_is_valid() -> None:
    quiz = decode(quiz_body())
    check_quiz(quiz)
    assert len(quiz.questions) == 10


@pytest.mark.parametrize(
    "change",
    [
        lambda b: b.update(extra=1),
        lambda b: b["questions"][0].update(kind="essay"),
        lambda b: b["questions"][0].update(points=-5),
        lambda b: b.update(questions=[]),
        lambda b: b.update(title=""),
        lambda b: b.update(available_at="2026-01-01T00:00:00"),  # no time zone
        lambda b: b["questions"][3].pop("accepted"),
    ],
)
def test_malformed_quizzes_are_refused_while_decoding(change: Any) -> None:
    body = quiz_body()
    change(body)
    with pytest.raises(msgspec.ValidationError):
        decode(body)


def test_a_window_that_ends_before_it_opens_is_refused() -> None:
    body = quiz_body()
    body["ends_at"], body["available_at"] = body["available_at"], body["ends_at"]
    with pytest.raises(InvalidInput, match="ends_at"):
        check_quiz(decode(body))


def test_a_choice_answer_must_index_a_choice() -> None:
    body = quiz_body()
    body["questions"][0]["answer"] = 4
    with pytest.raises(InvalidInput, match="question 1"):
        check_quiz(decode(body))


def test_answers_take_an_index_a_word_or_a_list_of_indexes() -> None:
    decoder = msgspec.json.Decoder(AnswerIn)
    assert decoder.decode(b'{"question_id": 3, "answer": 1}').answer == 1
    assert decoder.decode(b'{"question_id": 3, "answer": "colour"}').answer == "colour"
    assert decoder.decode(b'{"question_id": 3, "answer": [2, 0]}').answer == [2, 0]
    for bad in (b'{"question_id": 0, "answer": 1}', b'{"question_id": 3, "answer": [-1]}',
                b'{"question_id": 3, "answer": ["a"]}', b'{"question_id": 3, "answer": true}',
                b'{"question_id": 3, "answer": [' + b"0," * 20 + b'0]}',
                b'{"question_id": 3}'):  # fmt: skip
        with pytest.raises(msgspec.ValidationError):
            decoder.decode(bad)


def test_display_names_are_trimmed_and_must_be_printable() -> None:
    assert clean_display_name("  Zoë 🦊 ") == "Zoë 🦊"
    for bad in ("   ", "a\x00b", "line\nbreak", "rtl\u202eoverride"):
        with pytest.raises(InvalidInput):
            clean_display_name(bad)


def test_the_window_check() -> None:
    quiz = decode(quiz_body(opens_in=100, lasts=100))
    from quizboard.core.models import QuizConfig

    config = QuizConfig(id=1, title="t", available_at=quiz.available_at, ends_at=quiz.ends_at,
                        partition=0, questions=[])  # fmt: skip
    opens = quiz.available_at.timestamp()
    with pytest.raises(QuizNotOpen):
        config.check_open(opens - 1)
    config.check_open(opens)
    with pytest.raises(QuizEnded):
        config.check_open(quiz.ends_at.timestamp())
