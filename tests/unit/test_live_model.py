"""Live quizzes' pure parts: the model's defaults and rules, host tokens, message heads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from importlib import resources

import msgspec
import pytest

from quizboard.core.errors import InvalidInput, Unauthorized
from quizboard.core.events import ANSWER_DECODER, AnswerEvent, LiveAnswerHead, wire_name
from quizboard.core.live import (
    QUESTION_DECODER,
    QuestionResults,
    bucket,
    buckets,
    open_state,
    phase_at,
    question_head,
    results_head,
)
from quizboard.core.models import (
    QuizConfig,
    QuizIn,
    check_quiz,
    public_quiz,
    question_points,
)
from quizboard.core.questions import Question, QuestionIn
from quizboard.core.tokens import (
    HostClaims,
    PlayerClaims,
    sign,
    sign_host,
    verify,
    verify_host,
)

SECRET = b"s3cret"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
QUIZ_DECODER = msgspec.json.Decoder(QuizIn)


def quiz_in(mode: str, **question: object) -> QuizIn:
    body = {
        "title": "t",
        "mode": mode,
        "available_at": NOW.isoformat(),
        "ends_at": (NOW + timedelta(hours=1)).isoformat(),
        "questions": [{"kind": "choice", "prompt": "p", "choices": ["a", "b"], "answer": 1,
                       **question}],
    }  # fmt: skip
    return QUIZ_DECODER.decode(msgspec.json.encode(body))


def only(quiz: QuizIn) -> QuestionIn:
    return quiz.questions[0]


def test_a_live_question_takes_1000_points_and_20_s_unless_it_says() -> None:
    assert question_points("live", only(quiz_in("live"))) == (1000, 20)
    assert question_points("live", only(quiz_in("live", points=10, time_limit_s=5))) == (10, 5)


@pytest.mark.parametrize("limit", [4, 301])
def test_a_time_limit_outside_5_to_300_s_is_refused(limit: int) -> None:
    with pytest.raises(msgspec.ValidationError):
        quiz_in("live", time_limit_s=limit)


def test_an_open_quiz_still_needs_points_and_takes_no_time_limit() -> None:
    with pytest.raises(InvalidInput, match="points is required"):
        check_quiz(quiz_in("open"))
    with pytest.raises(InvalidInput, match="live quizzes only"):
        check_quiz(quiz_in("open", points=1, time_limit_s=10))
    check_quiz(quiz_in("open", points=1))
    assert question_points("open", only(quiz_in("open", points=7))) == (7, None)


def config(mode: str = "live") -> QuizConfig:
    question = Question(id=9, position=1, kind="choice", prompt="p", points=1000,
                        choices=["a", "b"], answer=1, time_limit_s=20)  # fmt: skip
    return QuizConfig(1, "t", NOW, NOW + timedelta(hours=1), 0, [question], mode)  # type: ignore[arg-type]


def test_a_live_quiz_shows_its_questions_only_as_they_open() -> None:
    public = public_quiz(config())
    assert (public.questions, public.question_count, public.mode) == ([], 1, "live")
    assert len(public_quiz(config("open")).questions) == 1


def test_a_host_token_is_not_a_player_token_and_the_reverse() -> None:
    host = sign_host(SECRET, HostClaims(7, 2_000_000_000))
    assert verify_host(SECRET, host, 0) == HostClaims(7, 2_000_000_000)
    with pytest.raises(Unauthorized):
        verify(SECRET, host, 0)
    player = sign(SECRET, PlayerClaims(7, "host", 2_000_000_000))
    with pytest.raises(Unauthorized):
        verify_host(SECRET, player, 0)
    with pytest.raises(Unauthorized, match="expired"):
        verify_host(SECRET, host, 2_000_000_000)


def test_a_question_head_finished_as_the_script_does_decodes() -> None:
    head = question_head(1, config().questions[0])
    message = QUESTION_DECODER.decode(
        head + b',"opened_at":1000,"closes_at":21000,"server_time":1000}'
    )
    assert (message.question.id, message.question.time_limit_s, message.closes_at) == (9, 20, 21000)
    results = (
        results_head(1, config().questions[0])
        + b',"distribution":[0,1],"answered":1,"total_players":2}'
    )
    assert msgspec.json.decode(results, type=QuestionResults).answer == 1


def test_a_live_answer_head_and_the_accepting_script_s_tail_make_an_answer_event() -> None:
    script = resources.files("quizboard.store").joinpath("lua", "accept.lua").read_text()
    appended = re.findall(r"{{AnswerEvent\.(\w+)}}", script)  # what the script writes
    head = msgspec.json.encode(LiveAnswerHead(1, "p", 9, "1", True))[:-1]
    tail = ",".join(f'"{wire_name(AnswerEvent, f)}":5' for f in appended)
    event = ANSWER_DECODER.decode(head + b"," + tail.encode() + b"}")
    assert (event.points, event.streak, event.answered_at) == (5, 5, 5)
    head_fields = {f.name for f in msgspec.structs.fields(LiveAnswerHead)}
    event_fields = {f.name for f in msgspec.structs.fields(AnswerEvent)}
    assert head_fields | set(appended) == event_fields


def test_answers_are_counted_per_choice_or_right_and_wrong() -> None:
    question = config().questions[0]
    assert (buckets(question), bucket(question, 1, True)) == ("choices:2", "1")
    text = msgspec.structs.replace(question, kind="text", choices=None, accepted=["x"])
    assert (buckets(text), bucket(text, "y", False)) == ("text", "wrong")


def test_a_question_whose_time_is_up_reads_as_closed() -> None:
    assert phase_at("question", 1000, 1000) == "question"
    assert phase_at("question", 1000, 1001) == "results"
    assert phase_at(None, None, 5) == "lobby"
    assert phase_at("finished", 1000, 2000) == "finished"


def test_an_open_quiz_is_in_its_question_phase_inside_its_window() -> None:
    quiz = config("open")
    start = int(NOW.timestamp() * 1000)
    assert open_state(quiz, start - 1).phase == "lobby"
    assert open_state(quiz, start).phase == "question"
    assert open_state(quiz, start + 3_600_000).phase == "finished"
