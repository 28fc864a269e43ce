"""Quiz definitions: what an admin sends, what is cached, and what players see.

These are msgspec Structs: their constraints are checked while decoding, and the
OpenAPI schemas are generated from them. Rules that span fields live in
:func:`check_quiz`.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Literal, get_args

import msgspec
from msgspec import UNSET, Meta, Struct

from quizboard.core.errors import InvalidInput, QuizEnded, QuizNotOpen
from quizboard.core.names import Language, check_name, name_key, normalize_name
from quizboard.core.questions import (
    NO_NUL,
    Points,
    PollQuestionIn,
    PublicQuestion,
    Question,
    QuestionIn,
    check_question,
    public_question,
    question_in,
)

MAX_ID = 2**63 - 1

# A typed answer is a word or two: no control characters.
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
Title = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
AnswerText = Annotated[str, Meta(max_length=200, pattern=NO_CONTROL)]
AwareDatetime = Annotated[datetime, Meta(tz=True)]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Mode = Literal["open", "live"]
NameRule = Literal["chosen", "generated"]
TeamScore = Literal["mean", "total"]
MAX_TEAMS = 20
TeamName = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")]
#: A quiz's teams: their names, or how many (named "Team 1", ... in the quiz's language).
Teams = (
    Annotated[list[TeamName], Meta(max_length=MAX_TEAMS)] | Annotated[int, Meta(ge=2, le=MAX_TEAMS)]
)
TEAM_WORD = {"en": "Team", "vi": "Đội"}

LIVE_POINTS = 1000  # a live question's points when the quiz does not say
LIVE_TIME_LIMIT_S = 20


class QuizIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes``: a sample quiz plus its window.

    ``mode`` ``open``: any question, any time in the window. ``live``: a host opens
    the questions one by one, each for its ``time_limit_s``. A wrong answer costs
    ``wrong_answer_penalty`` points (never on a poll or a question worth 0).
    """

    title: Title
    questions: Annotated[list[QuestionIn], Meta(min_length=1, max_length=500)]
    available_at: AwareDatetime
    ends_at: AwareDatetime
    mode: Mode = "open"
    wrong_answer_penalty: Points = 0
    late_join: bool = True  # a live quiz takes players after its first question
    names: NameRule = "chosen"  # or "generated": the quiz hands out friendly names
    language: Language = "en"
    # teams: a player joins one (chosen, or the smallest); ranked by mean or total score
    teams: Teams = []
    team_score: TeamScore = "mean"
    board_between_questions: bool = False  # a live quiz: pages hide the board mid-question


class QuizConfig(Struct, frozen=True):
    """A stored quiz, as cached in Redis and in process memory."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    partition: int
    questions: list[Question]
    mode: Mode = "open"
    wrong_answer_penalty: int = 0
    late_join: bool = True
    names: NameRule = "chosen"
    language: Language = "en"
    teams: list[str] = []
    team_score: TeamScore = "mean"
    board_between_questions: bool = False
    owner: str | None = None  # the app user (its sub) who created it; None: the admin

    @property
    def live(self) -> bool:
        return self.mode == "live"

    def ended(self, now: float) -> bool:
        return now >= self.ends_at.timestamp()

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


class PublicQuiz(Struct, frozen=True):
    """A quiz as players see it. A live quiz shows its questions one at a time, as
    its host opens them, so here it lists none: only how many there are."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    questions: list[PublicQuestion]
    mode: Mode = "open"
    question_count: int = 0
    names: NameRule = "chosen"  # "generated": a player gets a name, and asks for none
    language: Language = "en"
    teams: list[str] = []  # a team quiz's teams: a join may name one by its index
    team_score: TeamScore = "mean"
    board_between_questions: bool = False  # the board hides while a question is open


class CreatedQuiz(QuizConfig, frozen=True, kw_only=True):
    """The reply to ``POST /quizzes``: the stored quiz and the token of its host."""

    host_token: str


class JoinIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes/{id}/join``; with the app's JWT the name may come
    from its ``name`` claim instead."""

    display_name: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    team: Annotated[int, Meta(ge=0, lt=MAX_TEAMS)] | None = None  # its index; None: assigned


class JoinOut(Struct, frozen=True, omit_defaults=True):
    """A new player: its id, the token that lets it answer, its name as the quiz has it
    (normalised, or made up by a quiz that hands out names), and in a team quiz the
    index of its team."""

    player_id: str
    token: str
    quiz_id: int
    display_name: str = ""
    team: int | None = None


class AnswerIn(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes/{id}/answers``: a choice's index (``choice``,
    ``true_false``, ``poll``), a typed word (``text``), or a list of indexes: the
    choices picked (``multi``), the items shown in the order the player put them
    (``order``), or for each left side the index of the right side shown that it
    goes with (``match``)."""

    question_id: Id
    answer: int | AnswerText | Annotated[list[Annotated[int, Meta(ge=0, le=19)]],
                                         Meta(max_length=20)]  # fmt: skip


class AnswerOut(Struct, frozen=True, omit_defaults=True):
    """The verdict on an accepted answer; ``event_id`` tells when a snapshot covers it.
    In a live quiz, ``points`` counts speed and the streak bonus, and ``streak`` is the
    player's run of right answers, this one included."""

    correct: bool
    points: int
    event_id: str
    streak: int | None = None
    explanation: str | None = None  # an open quiz's, with its verdict


class QuizSummary(Struct, frozen=True):
    """One row of the admin quiz list."""

    id: int
    title: str
    available_at: datetime
    ends_at: datetime
    partition: int
    questions: int
    mode: Mode = "open"


class QuizPage(Struct, frozen=True):
    """A page of the admin quiz list, newest first; ``next_cursor`` fetches the next."""

    quizzes: list[QuizSummary]
    next_cursor: str | None


Status = Literal["upcoming", "open", "ended"]
STATUSES: tuple[Status, ...] = get_args(Status)


class QuizPatch(Struct, forbid_unknown_fields=True):
    """The body of ``PATCH /quizzes/{id}``: what changes, before the quiz opens. New
    ``questions`` replace them all (and get new ids)."""

    title: Title | None = None
    available_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    mode: Mode | None = None
    questions: Annotated[list[QuestionIn], Meta(min_length=1, max_length=500)] | None = None
    wrong_answer_penalty: Points | None = None
    late_join: bool | None = None
    names: NameRule | None = None
    language: Language | None = None
    teams: Teams | None = None
    team_score: TeamScore | None = None
    board_between_questions: bool | None = None


def patched(config: QuizConfig, patch: QuizPatch) -> QuizIn:
    """The quiz ``config`` with ``patch`` applied, to check and store again."""
    questions = patch.questions if patch.questions is not None else [
        question_in(q, live=config.live) for q in config.questions
    ]  # fmt: skip
    return QuizIn(
        title=patch.title or config.title,
        questions=questions,
        available_at=patch.available_at or config.available_at,
        ends_at=patch.ends_at or config.ends_at,
        mode=patch.mode or config.mode,
        wrong_answer_penalty=(
            config.wrong_answer_penalty
            if patch.wrong_answer_penalty is None
            else patch.wrong_answer_penalty
        ),
        late_join=config.late_join if patch.late_join is None else patch.late_join,
        names=patch.names or config.names,
        language=patch.language or config.language,
        teams=config.teams if patch.teams is None else patch.teams,
        team_score=patch.team_score or config.team_score,
        board_between_questions=(
            config.board_between_questions
            if patch.board_between_questions is None
            else patch.board_between_questions
        ),
    )


def team_names(quiz: QuizIn) -> list[str]:
    """The names of ``quiz``'s teams: as given, or for a count "Team 1", "Team 2", ...
    in the quiz's language."""
    if isinstance(quiz.teams, list):
        return quiz.teams
    return [f"{TEAM_WORD[quiz.language]} {n}" for n in range(1, quiz.teams + 1)]


def check_quiz(quiz: QuizIn) -> None:
    """Raise :class:`InvalidInput` for rules no single field can express."""
    if quiz.ends_at <= quiz.available_at:
        raise InvalidInput("ends_at must be later than available_at")
    teams = team_names(quiz)
    if len(teams) == 1:
        raise InvalidInput("teams: a team quiz has two teams or more")
    if any(unicodedata.category(ch) == "Cf" for team in teams for ch in team):
        raise InvalidInput("teams: a team's name must not hold format characters (bidi)")
    if len({name_key(t) for t in teams}) != len(teams):
        raise InvalidInput("teams: two teams have the same name")
    for number, question in enumerate(quiz.questions, start=1):
        check_question(number, question)
        if (
            quiz.mode == "open"
            and question.points is None
            and not isinstance(question, PollQuestionIn)
        ):
            raise InvalidInput(f"question {number}: points is required in an open quiz")
        if quiz.mode == "open" and question.time_limit_s not in (None, UNSET):
            raise InvalidInput(
                f'question {number}: time_limit_s applies to live quizzes only; set "mode": "live"'
            )


def question_points(mode: Mode, question: QuestionIn) -> tuple[int, int | None]:
    """A question's points and time limit as stored: a live quiz fills in its defaults,
    and a poll scores nothing."""
    if isinstance(question, PollQuestionIn):
        points = 0
    elif mode == "open":
        assert question.points is not None  # check_quiz holds it
        points = question.points
    else:
        points = LIVE_POINTS if question.points is None else question.points
    if mode == "open":
        return points, None
    if question.time_limit_s is UNSET:
        return points, LIVE_TIME_LIMIT_S
    return points, question.time_limit_s  # None: no timer


def clean_display_name(name: str) -> str:
    """A display name normalised (see :mod:`quizboard.core.names`); refused when it is
    blank, holds control characters, or is not fit for a room."""
    cleaned = name.strip()
    if not cleaned:
        raise InvalidInput("display_name must not be blank", code="invalid_display_name")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in cleaned):
        raise InvalidInput(
            "display_name must not contain control or unassigned characters",
            code="invalid_display_name",
        )
    return check_name(normalize_name(cleaned))


def public_quiz(config: QuizConfig) -> PublicQuiz:
    """Strip the answers from a quiz (and, from a live one, the questions)."""
    return PublicQuiz(
        id=config.id,
        title=config.title,
        available_at=config.available_at,
        ends_at=config.ends_at,
        questions=[] if config.live else [public_question(q) for q in config.questions],
        mode=config.mode,
        question_count=len(config.questions),
        names=config.names,
        language=config.language,
        teams=config.teams,
        team_score=config.team_score,
        board_between_questions=config.board_between_questions,
    )


CONFIG_ENCODER = msgspec.json.Encoder()
CONFIG_DECODER = msgspec.json.Decoder(QuizConfig)
