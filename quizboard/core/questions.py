"""The kinds of question: what a teacher writes, what is stored, and what players see.

Each kind is a tagged Struct (``"kind": "multi"``); its constraints are checked
while decoding, and :func:`check_question` holds the rules no single field can.
A stored :class:`Question` keeps every kind's fields, most of them ``None``.

Players get the items of an ``order`` question, and the right-hand sides of a
``match`` question, in a shuffled order that is the same for everyone (seeded
by the question's id, never already solved); they answer with indexes into what
they were shown, and :func:`shown_order` maps those back.
"""

from __future__ import annotations

import functools
import random
from typing import Annotated, Any, get_args

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from quizboard.core.errors import InvalidInput
from quizboard.core.media import MediaId

# PostgreSQL text cannot hold NUL: text that would fail there is refused on the way in.
NO_NUL = r"^[^\x00]*$"
Prompt = Annotated[str, Meta(min_length=1, max_length=1000, pattern=NO_NUL)]
Choice = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Spelling = Annotated[str, Meta(min_length=1, max_length=200, pattern=NO_NUL)]
Explanation = Annotated[str, Meta(min_length=1, max_length=2000, pattern=NO_NUL)]
Points = Annotated[int, Meta(ge=0, le=1_000_000)]
TimeLimit = Annotated[int, Meta(ge=5, le=300)]
Index = Annotated[int, Meta(ge=0, le=19)]


class ChoiceIn(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A choice with a picture or a sound (ids of uploaded files); a choice with
    neither is its text alone."""

    text: Choice
    image: MediaId | None = None
    audio: MediaId | None = None


Choices = Annotated[list[Choice | ChoiceIn], Meta(min_length=2, max_length=20)]
Items = Annotated[list[Choice], Meta(min_length=2, max_length=20)]


class Media(Struct, frozen=True, omit_defaults=True):
    """A choice's picture and sound, as stored and shown."""

    image: str | None = None
    audio: str | None = None


TRUE_FALSE = ["True", "False"]


class _Common(Struct, forbid_unknown_fields=True, kw_only=True):
    """What every kind may say: its points (required in an open quiz; 1000 in a live
    one; 0 is a warm-up), its time limit (live quizzes only; 20 s when left out,
    ``null`` for none: the host reveals), an explanation shown with the verdict and
    the results, and a picture and a sound (ids of uploaded files)."""

    prompt: Prompt
    points: Points | None = None
    time_limit_s: TimeLimit | UnsetType | None = UNSET
    explanation: Explanation | None = None
    image: MediaId | None = None
    audio: MediaId | None = None


class ChoiceQuestionIn(_Common, tag_field="kind", tag="choice"):
    """One right choice; ``answer`` is its index."""

    choices: Choices
    answer: Index


class TrueFalseQuestionIn(_Common, tag_field="kind", tag="true_false"):
    """A statement that is true or not; players pick 0 (True) or 1 (False)."""

    answer: bool


class MultiQuestionIn(_Common, tag_field="kind", tag="multi"):
    """Several right choices (``answers``, their indexes); the player picks a set. All
    or nothing, or with ``partial`` points for right picks minus wrong ones."""

    choices: Choices
    answers: Annotated[list[Index], Meta(min_length=1, max_length=20)]
    partial: bool = False


class TextQuestionIn(_Common, tag_field="kind", tag="text"):
    """A typed answer; any ``accepted`` spelling is right, compared as the options say
    (runs of spaces never count)."""

    accepted: Annotated[list[Spelling], Meta(min_length=1, max_length=50)]
    ignore_case: bool = True
    ignore_accents: bool = False
    ignore_punctuation: bool = False  # at either end: "Hello!" is "hello"


class OrderQuestionIn(_Common, tag_field="kind", tag="order"):
    """Put ``items`` (given here in the right order) in order. All or nothing, or with
    ``partial`` points for the longest run of items placed right after each other."""

    items: Items
    partial: bool = False


class Pair(Struct, forbid_unknown_fields=True):
    """A word and what it matches: its meaning, its translation, its picture's word."""

    left: Choice
    right: Choice


class MatchQuestionIn(_Common, tag_field="kind", tag="match"):
    """Match each left side to its right side; points for each right pair."""

    pairs: Annotated[list[Pair], Meta(min_length=2, max_length=20)]


class PollQuestionIn(_Common, tag_field="kind", tag="poll"):
    """No right answer: every answer scores 0, and the results show how they split."""

    choices: Choices


QuestionIn = (
    ChoiceQuestionIn | TrueFalseQuestionIn | MultiQuestionIn | TextQuestionIn
    | OrderQuestionIn | MatchQuestionIn | PollQuestionIn
)  # fmt: skip
#: Each kind's fields as a teacher writes them, ``kind`` included.
KIND_FIELDS: dict[str, frozenset[str]] = {
    str(kind.__struct_config__.tag): frozenset({"kind", *kind.__struct_fields__})
    for kind in get_args(QuestionIn)
}


class Question(Struct, frozen=True, kw_only=True):
    """A stored question, answers included: what the API scores against."""

    id: int
    position: int
    kind: str
    prompt: str
    points: int
    choices: list[str] | None = None  # choice, true_false, multi, poll
    answer: int | None = None  # choice, true_false: the right choice
    answers: list[int] | None = None  # multi: the right choices
    accepted: list[str] | None = None  # text
    items: list[str] | None = None  # order: in the right order
    pairs: list[Pair] | None = None  # match
    partial: bool = False  # multi, order
    ignore_case: bool = True  # text
    ignore_accents: bool = False
    ignore_punctuation: bool = False
    explanation: str | None = None
    time_limit_s: int | None = None  # live quizzes only; None there: no timer
    image: str | None = None
    audio: str | None = None
    choice_media: list[Media | None] | None = None  # per choice, when any has one


class PublicQuestion(Struct, frozen=True, kw_only=True):
    """A question as players see it: no answer. ``items`` (order) and ``right``
    (match) come shuffled, the same for everyone."""

    id: int
    position: int
    kind: str
    prompt: str
    points: int
    choices: list[str] | None = None
    items: list[str] | None = None
    left: list[str] | None = None
    right: list[str] | None = None
    time_limit_s: int | None = None
    image: str | None = None
    audio: str | None = None
    choice_media: list[Media | None] | None = None


#: The fields only some kinds have, stored together (PostgreSQL's ``questions.spec``).
SPEC_FIELDS = (
    "answers", "items", "pairs", "partial", "ignore_case", "ignore_accents",
    "ignore_punctuation", "image", "audio", "choice_media",
)  # fmt: skip


def spec_of(question: Question) -> dict[str, Any]:
    """The fields of ``question`` that only some kinds have, as JSON values."""
    spec: dict[str, Any] = msgspec.to_builtins(question)
    return {name: spec[name] for name in SPEC_FIELDS if name in spec}


def stored(row: dict[str, Any], spec: dict[str, Any]) -> Question:
    """A question from its row and its ``spec``."""
    return msgspec.convert({**row, **spec}, Question)


def check_question(number: int, question: QuestionIn) -> None:
    """Raise :class:`InvalidInput` for a rule of ``question`` no single field holds."""
    where = f"question {number}"
    if isinstance(question, ChoiceQuestionIn) and question.answer >= len(question.choices):
        raise InvalidInput(f"{where}: answer {question.answer} is not the index of a choice")
    if isinstance(question, MultiQuestionIn):
        outside = [i for i in question.answers if i >= len(question.choices)]
        if outside:
            raise InvalidInput(f"{where}: answers {outside} are not indexes of choices")
        if len(set(question.answers)) != len(question.answers):
            raise InvalidInput(f"{where}: answers name a choice twice")
    if isinstance(question, OrderQuestionIn) and _repeats(question.items):
        raise InvalidInput(f"{where}: items repeat, so their order is ambiguous")
    if isinstance(question, MatchQuestionIn):
        for side in ("left", "right"):
            if _repeats([getattr(pair, side) for pair in question.pairs]):
                raise InvalidInput(f"{where}: two pairs have the same {side} side")
    if isinstance(question, PollQuestionIn) and question.points:
        raise InvalidInput(f"{where}: a poll scores nothing; leave points out or 0")


def _repeats(texts: list[str]) -> bool:
    return len({t.strip().casefold() for t in texts}) != len(texts)


def stored_question(
    position: int, points: int, time_limit_s: int | None, question: QuestionIn
) -> Question:
    """The question to store (its id 0 until PostgreSQL gives it one)."""
    base = Question(
        id=0, position=position, kind=str(question.__struct_config__.tag),
        prompt=question.prompt,
        points=points, time_limit_s=time_limit_s, explanation=question.explanation,
        image=question.image, audio=question.audio,
    )  # fmt: skip
    if isinstance(question, ChoiceQuestionIn | MultiQuestionIn | PollQuestionIn):
        base = msgspec.structs.replace(
            base, choices=choice_texts(question.choices),
            choice_media=choice_media(question.choices),
        )  # fmt: skip
    match question:
        case ChoiceQuestionIn():
            return msgspec.structs.replace(base, answer=question.answer)
        case TrueFalseQuestionIn():
            return msgspec.structs.replace(base, choices=list(TRUE_FALSE),
                                           answer=0 if question.answer else 1)  # fmt: skip
        case MultiQuestionIn():
            return msgspec.structs.replace(base, answers=sorted(question.answers),
                                           partial=question.partial)  # fmt: skip
        case TextQuestionIn():
            return msgspec.structs.replace(
                base, accepted=question.accepted, ignore_case=question.ignore_case,
                ignore_accents=question.ignore_accents,
                ignore_punctuation=question.ignore_punctuation,
            )  # fmt: skip
        case OrderQuestionIn():
            return msgspec.structs.replace(base, items=question.items, partial=question.partial)
        case MatchQuestionIn():
            return msgspec.structs.replace(base, pairs=question.pairs)
        case PollQuestionIn():
            return base


def question_in(question: Question, *, live: bool) -> QuestionIn:
    """A stored question as it would be sent again, in a quiz that is ``live`` or not:
    its kind's fields of it (an open quiz's stored no time limit is left out)."""
    sent: dict[str, Any] = msgspec.to_builtins(question)
    if not live:
        sent.pop("time_limit_s", None)
    if question.choice_media is not None:
        sent["choices"] = [
            {"text": text, **msgspec.to_builtins(media)} if media else text
            for text, media in zip(question.choices or [], question.choice_media, strict=True)
        ]
    if question.kind == "true_false":
        sent["answer"] = question.answer == 0  # stored as the index of "True" or "False"
    fields = KIND_FIELDS[question.kind]
    again: QuestionIn = msgspec.convert({k: v for k, v in sent.items() if k in fields},
                                        QuestionIn)  # fmt: skip
    return again


def shown_order(question: Question, count: int) -> tuple[int, ...]:
    """The order ``count`` items are shown in: ``shown[k]`` is the index, in the stored
    order, of the item shown at ``k``. The same for every player of the question, and
    never the stored order itself (that would be the answer)."""
    return _shuffled(question.id, count)


@functools.lru_cache(maxsize=4096)
def _shuffled(seed: int, count: int) -> tuple[int, ...]:
    # Seeding a generator costs more than the rest of an answer's scoring: every answer
    # to an order or a match question needs this, so each question's is kept.
    order = list(range(count))
    random.Random(seed).shuffle(order)
    if count > 1 and order == sorted(order):
        order = order[1:] + order[:1]
    return tuple(order)


def public_question(question: Question) -> PublicQuestion:
    """A question without its answer."""
    items = left = right = None
    if question.items is not None:
        items = [question.items[i] for i in shown_order(question, len(question.items))]
    if question.pairs is not None:
        left = [pair.left for pair in question.pairs]
        shown = shown_order(question, len(question.pairs))
        right = [question.pairs[i].right for i in shown]
    return PublicQuestion(
        id=question.id, position=question.position, kind=question.kind,
        prompt=question.prompt, points=question.points, choices=question.choices,
        items=items, left=left, right=right, time_limit_s=question.time_limit_s,
        image=question.image, audio=question.audio, choice_media=question.choice_media,
    )  # fmt: skip


def choice_texts(choices: list[str | ChoiceIn]) -> list[str]:
    """The text of each choice."""
    return [c if isinstance(c, str) else c.text for c in choices]


def choice_media(choices: list[str | ChoiceIn]) -> list[Media | None] | None:
    """Each choice's picture and sound; ``None`` when no choice has any."""
    media = [
        None if isinstance(c, str) or c.image is c.audio is None else Media(c.image, c.audio)
        for c in choices
    ]
    return media if any(media) else None


def media_ids(question: QuestionIn) -> dict[str, str]:
    """Every file ``question`` refers to, with the field that names it."""
    found = {}
    for field in ("image", "audio"):
        if getattr(question, field) is not None:
            found[getattr(question, field)] = field
    for index, choice in enumerate(getattr(question, "choices", None) or []):
        if isinstance(choice, ChoiceIn):
            for field in ("image", "audio"):
                if getattr(choice, field) is not None:
                    found[getattr(choice, field)] = f"choices[{index}].{field}"
    return found
