"""Quiz definitions: what an admin sends, what is cached, and what players see.

These are msgspec Structs: their constraints are checked while decoding, and the
OpenAPI schemas are generated from them. Rules that span fields live in
:func:`check_quiz`.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from quizboard.core.errors import InvalidInput, QuizEnded, QuizNotOpen

MAX_ID = 2**63 - 1

# PostgreSQL text cannot hold NUL: text that would fail there is refused on the way in,
# before anything is accepted. A typed answer is a word or two: no control characters.
NO_NUL = r"^[^\x00]*$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Prompt = Annotated[str, Meta(min_length=1, max_length=1000, pattern=NO_NUL)]
Choice = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Spelling = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
AnswerText = Annotated[str, Meta(max_length=200, pattern=NO_CONTROL)]
Points = Annotated[int, Meta(ge=0, le=1_000_000)]
AwareDatetime = Annotated[datetime, Meta(tz=True)]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]


class ChoiceQuestionIn(Struct, tag_field="kind", tag="choice", forbid_unknown_fields=True):
    """A multiple-choice question; ``answer`` is the index of the right choice."""

    prompt: Prompt
    choices: Annotated[list[Choice], Meta(min_length=2, max_length=20)]
    answer: Annotated[int, Meta(ge=0)]
    points: Points


class TextQuestionIn(Struct, tag_field="kind", tag="text", forbid_unknown_fields=True):
    """A typed-answer question; any ``accepted`` spelling is right."""

    prompt: Prompt
    accepted: Annotated[list[Spelling], Meta(min_length=1, max_length=50)]
    points: Points


QuestionIn = ChoiceQuestionIn | TextQuestionIn


class QuizIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes``: a sample quiz plus its window."""

    title: Title
    questions: Annotated[list[QuestionIn], Meta(min_length=1, max_length=500)]
    available_at: AwareDatetime
    ends_at: AwareDatetime


class Question(Struct, frozen=True):
    """A stored question, answers included: what the API scores against."""

    id: int
    position: int
    kind: str
    prompt: str
    points: int
    choices: list[str] | None = None
    answer: int | None = None
    accepted: list[str] | None = None


class QuizConfig(Struct, frozen=True):
    """A stored quiz, as cached in Redis and in process memory."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    partition: int
    questions: list[Question]

    def check_open(self, now: float) -> None:
        """Raise :class:`QuizNotOpen` before the window, :class:`QuizEnded` after it."""
        if now < self.available_at.timestamp():
            raise QuizNotOpen(
                f"quiz {self.id} opens at {self.available_at.isoformat()}", code="quiz_not_open"
            )
        if now >= self.ends_at.timestamp():
            raise QuizEnded(f"quiz {self.id} ended at {self.ends_at.isoformat()}")

    def question(self, question_id: int) -> Question | None:
        """The question with this id, or ``None`` when it is not part of this quiz."""
        for question in self.questions:
            if question.id == question_id:
                return question
        return None


class PublicQuestion(Struct, frozen=True):
    """A question as players see it: no answer."""

    id: int
    position: int
    kind: str
    prompt: str
    points: int
    choices: list[str] | None = None


class PublicQuiz(Struct, frozen=True):
    """A quiz as players see it."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    questions: list[PublicQuestion]


class JoinIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes/{id}/join``."""

    display_name: Annotated[str, Meta(min_length=1, max_length=64)]


class JoinOut(Struct, frozen=True):
    """A new player: its id and the token that lets it answer."""

    player_id: str
    token: str
    quiz_id: int


class AnswerIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes/{id}/answers``: a choice index or a typed word."""

    question_id: Id
    answer: int | AnswerText


class AnswerOut(Struct, frozen=True):
    """The verdict on an accepted answer; ``event_id`` tells when a snapshot covers it."""

    correct: bool
    points: int
    event_id: str


class QuizSummary(Struct, frozen=True):
    """One row of the admin quiz list."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    partition: int
    questions: int


def check_quiz(quiz: QuizIn) -> None:
    """Raise :class:`InvalidInput` for rules no single field can express."""
    if quiz.ends_at <= quiz.available_at:
        raise InvalidInput("ends_at must be later than available_at")
    for number, question in enumerate(quiz.questions, start=1):
        if isinstance(question, ChoiceQuestionIn) and question.answer >= len(question.choices):
            raise InvalidInput(
                f"question {number}: answer {question.answer} is not the index of a choice"
            )


def clean_display_name(name: str) -> str:
    """Trim a display name and refuse one that is blank or holds control characters."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("display_name must not be blank", code="invalid_display_name")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in cleaned):
        raise InvalidInput(
            "display_name must not contain control or unassigned characters",
            code="invalid_display_name",
        )
    return cleaned


def public_quiz(config: QuizConfig) -> PublicQuiz:
    """Strip the answers from a quiz."""
    return PublicQuiz(
        id=config.id,
        title=config.title,
        available_at=config.available_at,
        ends_at=config.ends_at,
        questions=[
            PublicQuestion(
                id=q.id,
                position=q.position,
                kind=q.kind,
                prompt=q.prompt,
                points=q.points,
                choices=q.choices,
            )
            for q in config.questions
        ],
    )


CONFIG_ENCODER = msgspec.json.Encoder()
CONFIG_DECODER = msgspec.json.Decoder(QuizConfig)
