"""Quizzes as spreadsheet rows: Kahoot's published template, and a layout of our own
that holds every kind of question.

Rows are lists of cell values (text, numbers, blanks), as a CSV or an XLSX sheet
gives them (:mod:`quizboard.core.spreadsheets` reads and writes the files). Every
bad cell is reported with its row and column, all of them at once, and a file
with any is refused whole.

**Kahoot's layout**: a header row whose column B starts with "Question", then a
question per row: B the question, C to F up to four answers, G the time limit in
seconds, H the right answers' numbers ("1" or "1,3"). One right answer makes a
``choice``, several a ``multi``; the answers "True" and "False" make a
``true_false``.

**Our layout**: a header row of :data:`COLUMNS`, then a question per row. Lists in
a cell are split by ``|``; numbers of choices count from 1, as people count.

=============  ==========================================================
``options``    the choices (``choice``, ``multi``, ``poll``), the items in
               the right order (``order``), ``left=right`` pairs (``match``)
``answer``     the right choice's number (``choice``), the right ones
               (``multi``: ``1|3``), ``true`` or ``false`` (``true_false``),
               the accepted spellings (``text``)
=============  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from quizboard.core.errors import InvalidInput
from quizboard.core.models import Mode, QuizConfig, QuizIn, check_quiz
from quizboard.core.questions import (
    KIND_FIELDS,
    Question,
    QuestionIn,
    check_question,
)

Cell = str | int | float | bool | datetime | None
Row = Sequence[Cell]

COLUMNS = (
    "kind", "prompt", "options", "answer", "points", "time_limit_s", "explanation",
    "partial", "ignore_case", "ignore_accents", "ignore_punctuation", "image", "audio",
    "option_images", "option_audio",
)  # fmt: skip
EXPORT_FORMATS = ("json", "xlsx", "csv")  # a quiz, to create again
FLAGS = ("partial", "ignore_case", "ignore_accents", "ignore_punctuation")
KAHOOT_POINTS = 1000  # Kahoot's standard points
KAHOOT_ANSWERS = 4
NO_TIMER = ("none", "no", "off")


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with a cell (or a row, when ``column`` is ``""``)."""

    row: int  # 1-based, as a spreadsheet shows it
    column: str  # a letter, as a spreadsheet shows it
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, column {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


class InvalidSheet(InvalidInput):
    """A spreadsheet with bad cells: all of them, each with its row and column."""

    code = "invalid_import"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{count}: " + "; ".join(map(str, problems)))


@dataclass(frozen=True, slots=True)
class QuizMeta:
    """What a sheet does not say of a quiz: its title, mode and window."""

    title: str
    mode: Mode
    available_at: datetime
    ends_at: datetime
    wrong_answer_penalty: int = 0


def letter(index: int) -> str:
    """A 0-based column index as a spreadsheet names it: 0 is A, 26 is AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def text(cell: Cell) -> str:
    """A cell as text: a whole number without its ``.0``, a blank as ``""``."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def quiz_from_rows(rows: Sequence[Row], meta: QuizMeta) -> QuizIn:
    """The quiz the rows hold, in our layout or Kahoot's (told by the header);
    :class:`InvalidSheet` with every problem when any cell is bad."""
    header = next((i for i, row in enumerate(rows) if any(text(c) for c in row)), None)
    if header is not None and text(rows[header][0]).casefold() == "kind":
        parsed = _ours(rows, header, meta.mode)
    else:
        parsed = _kahoot(rows, meta.mode)
    return _quiz(parsed, meta)


# Each question as read (its fields, or what is wrong with it), with its row.
_Parsed = list[tuple[int, dict[str, Any] | Problem]]


def _quiz(parsed: _Parsed, meta: QuizMeta) -> QuizIn:
    problems = []
    questions: list[QuestionIn] = []
    for number, (row, fields) in enumerate(parsed, start=1):
        if isinstance(fields, Problem):
            problems.append(fields)
            continue
        try:
            question = msgspec.convert(fields, QuestionIn)
            check_question(number, question)
        except msgspec.ValidationError as exc:
            problems.append(Problem(row, "", _plain(str(exc))))
            continue
        except InvalidInput as exc:
            problems.append(Problem(row, "", exc.message.split(": ", 1)[-1]))
            continue
        questions.append(question)
    if not parsed and not problems:
        problems.append(Problem(1, "", "the file holds no question"))
    if problems:
        raise InvalidSheet(problems)
    quiz = QuizIn(
        title=meta.title, questions=questions, available_at=meta.available_at,
        ends_at=meta.ends_at, mode=meta.mode, wrong_answer_penalty=meta.wrong_answer_penalty,
    )  # fmt: skip
    try:
        check_quiz(quiz)
    except InvalidInput as exc:
        found = re.match(r"question (\d+): (.*)", exc.message)
        if found is None:
            raise
        row = parsed[int(found[1]) - 1][0]
        raise InvalidSheet([Problem(row, "", found[2])]) from None
    return quiz


def _plain(message: str) -> str:
    """A decoding error in a teacher's words: the field, not its JSON path."""
    return re.sub(r" - at `\$\.?([^`]*)`", r" (\1)", message)


def _kahoot(rows: Sequence[Row], mode: Mode) -> _Parsed:
    header = next(
        (
            i
            for i, row in enumerate(rows[:40])
            if text(_at(row, 1)).casefold().startswith("question")
        ),
        None,
    )
    if header is None:
        return [(1, Problem(1, "B", 'no header row: column B of one row must say "Question"'))]
    parsed: _Parsed = []
    for index in range(header + 1, len(rows)):
        row, number = rows[index], index + 1
        cells = [text(_at(row, c)) for c in range(1, 8)]
        if not any(cells):
            continue
        parsed.append((number, _kahoot_row(number, cells, mode)))
    return parsed


def _kahoot_row(number: int, cells: list[str], mode: Mode) -> dict[str, Any] | Problem:
    prompt, answers, limit, right = cells[0], cells[1:5], cells[5], cells[6]
    if not prompt:
        return Problem(number, "B", "the question is blank")
    given = [(i, a) for i, a in enumerate(answers) if a]
    picks: list[int] = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;| ]+", right))):
        if not part.isdigit() or not 1 <= int(part) <= KAHOOT_ANSWERS:
            return Problem(number, "H", f"{part!r} is not an answer's number, 1 to 4")
        if not answers[int(part) - 1]:
            return Problem(number, "H", f"answer {part} is blank")
        picks.append(int(part) - 1)
    if not picks:
        return Problem(number, "H", "say which answer is right: its number, 1 to 4")
    if len(given) < 2:
        return Problem(number, "C", "a question needs at least two answers")
    choices = [a for _, a in given]
    position = {i: k for k, (i, _) in enumerate(given)}
    fields: dict[str, Any] = {"prompt": prompt, "points": KAHOOT_POINTS}
    if [c.casefold() for c in choices] == ["true", "false"] and len(picks) == 1:
        fields |= {"kind": "true_false", "answer": position[picks[0]] == 0}
    elif len(picks) == 1:
        fields |= {"kind": "choice", "choices": choices, "answer": position[picks[0]]}
    else:
        fields |= {
            "kind": "multi",
            "choices": choices,
            "answers": sorted(position[p] for p in picks),
        }
    if mode == "live" and limit:
        if not limit.isdigit():
            return Problem(number, "G", f"the time limit {limit!r} is not a number of seconds")
        fields["time_limit_s"] = int(limit)
    return fields


def _at(row: Row, index: int) -> Cell:
    return row[index] if index < len(row) else None


def _ours(rows: Sequence[Row], header: int, mode: Mode) -> _Parsed:
    names = [text(c).casefold() for c in rows[header]]
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        bad = letter(names.index(unknown[0]))
        return [(header + 1, Problem(header + 1, bad, f"unknown column {unknown[0]!r}"))]
    parsed: _Parsed = []
    for index in range(header + 1, len(rows)):
        cells = {n: text(_at(rows[index], i)) for i, n in enumerate(names) if n}
        if any(cells.values()):
            parsed.append((index + 1, _our_row(index + 1, cells, names, mode)))
    return parsed


def _our_row(
    number: int, cells: dict[str, str], names: list[str], mode: Mode
) -> dict[str, Any] | Problem:
    def problem(column: str, message: str) -> Problem:
        return Problem(number, letter(names.index(column)), message)

    kind = cells.get("kind", "")
    if kind not in KIND_FIELDS:
        return problem("kind", f"kind {kind!r} is not one of {', '.join(KIND_FIELDS)}")
    fields: dict[str, Any] = {"kind": kind, "prompt": cells.get("prompt", "")}
    options = _split(cells.get("options", ""))
    answer = cells.get("answer", "")
    try:
        fields |= _kind_fields(kind, options, answer)
        for name in FLAGS:
            if cells.get(name) and f"{name}" in KIND_FIELDS[kind]:
                fields[name] = _flag(cells[name], name)
        if cells.get("points"):
            fields["points"] = _number(cells["points"], "points")
        limit = cells.get("time_limit_s", "")
        if limit and mode == "live":
            no_timer = limit.casefold() in NO_TIMER
            fields["time_limit_s"] = None if no_timer else _number(limit, "time_limit_s")
    except _CellError as exc:
        return problem(exc.column, exc.message)
    for name in ("explanation", "image", "audio"):
        if cells.get(name):
            fields[name] = cells[name]
    media = [_split(cells.get(f"option_{m}", ""), keep_blanks=True) for m in ("images", "audio")]
    if any(any(m) for m in media) and "choices" in fields:
        fields["choices"] = [
            {"text": c, **({"image": i} if i else {}), **({"audio": a} if a else {})}
            for c, i, a in zip(fields["choices"], _pad(media[0], options), _pad(media[1], options),
                               strict=True)
        ]  # fmt: skip
    return fields


class _CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        self.column, self.message = column, message


def _kind_fields(kind: str, options: list[str], answer: str) -> dict[str, Any]:
    if kind in ("choice", "multi", "poll"):
        fields: dict[str, Any] = {"choices": options}
        if kind == "choice":
            fields["answer"] = _choice_number(answer, options)
        elif kind == "multi":
            fields["answers"] = [_choice_number(a, options) for a in _split(answer)]
        return fields
    if kind == "true_false":
        return {"answer": _flag(answer, "answer")}
    if kind == "text":
        return {"accepted": _split(answer)}
    if kind == "order":
        return {"items": options}
    pairs = []
    for option in options:
        left, equals, right = option.partition("=")
        if not equals:
            raise _CellError("options", f"{option!r} is not a pair: write left=right")
        pairs.append({"left": left.strip(), "right": right.strip()})
    return {"pairs": pairs}


def _choice_number(cell: str, options: list[str]) -> int:
    if not cell.isdigit() or not 1 <= int(cell) <= len(options):
        raise _CellError("answer", f"{cell!r} is not a choice's number, 1 to {len(options)}")
    return int(cell) - 1


def _flag(cell: str, column: str) -> bool:
    folded = cell.casefold()
    if folded in ("true", "yes", "1", "x"):
        return True
    if folded in ("false", "no", "0"):
        return False
    raise _CellError(column, f"{cell!r} is not true or false")


def _number(cell: str, column: str) -> int:
    if not cell.isdigit():
        raise _CellError(column, f"{cell!r} is not a whole number")
    return int(cell)


def _split(cell: str, *, keep_blanks: bool = False) -> list[str]:
    parts = [p.strip() for p in cell.split("|")] if cell else []
    return parts if keep_blanks else [p for p in parts if p]


def _pad(values: list[str], options: list[str]) -> list[str]:
    return (values + [""] * len(options))[: len(options)]


def quiz_rows(config: QuizConfig) -> list[list[Cell]]:
    """A stored quiz in our layout, header first: it imports back as the same quiz."""
    rows: list[list[Cell]] = [list(COLUMNS)]
    for question in config.questions:
        rows.append([_cell(question, name, config.live) for name in COLUMNS])
    return rows


def _cell(q: Question, column: str, live: bool) -> Cell:
    choices = q.choices or []
    match column:
        case "kind" | "prompt" | "points" | "explanation" | "image" | "audio":
            value: Cell = getattr(q, column)
            return value
        case "options":
            if q.pairs is not None:
                return "|".join(f"{p.left}={p.right}" for p in q.pairs)
            return "|".join(q.items or ([] if q.kind == "true_false" else choices))
        case "answer":
            return _answer_cell(q)
        case "time_limit_s":
            return ("none" if q.time_limit_s is None else q.time_limit_s) if live else None
        case "option_images" | "option_audio":
            media = q.choice_media or []
            field = "image" if column == "option_images" else "audio"
            return "|".join((getattr(m, field) or "") if m else "" for m in media) or None
    flag: bool = getattr(q, column)
    return ("true" if flag else "false") if column in KIND_FIELDS[q.kind] else None


def _answer_cell(q: Question) -> Cell:
    match q.kind:
        case "choice":
            return (q.answer or 0) + 1
        case "true_false":
            return "true" if q.answer == 0 else "false"
        case "multi":
            return "|".join(str(a + 1) for a in q.answers or [])
        case "text":
            return "|".join(q.accepted or [])
    return None
