"""A quiz from a spreadsheet, and a quiz as one: ``POST /quizzes/import`` and
``GET /quizzes/{id}/export``.

The import reads Kahoot's published template or our own layout (see
:mod:`quizboard.core.quiz_sheets`), as XLSX or CSV, and creates the quiz through
the same checks as ``POST /quizzes``: a file with any bad cell creates nothing.
The export gives the quiz itself (not its results) as the JSON ``POST /quizzes``
takes, or as our layout in XLSX or CSV, so a quiz can be copied, edited and
created again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from starlette.datastructures import QueryParams
from starlette.responses import Response

from quizboard.api.auth import Author, Host
from quizboard.api.endpoint import Call
from quizboard.api.inputs import read_body
from quizboard.api.quizzes import created_reply
from quizboard.api.responses import json_response
from quizboard.core.errors import InvalidInput
from quizboard.core.models import QuizConfig
from quizboard.core.questions import question_in
from quizboard.core.quiz_sheets import EXPORT_FORMATS, QuizMeta, quiz_from_rows, quiz_rows
from quizboard.core.spreadsheets import XLSX_TYPE, csv_text, read_rows, xlsx_bytes

DEFAULT_LENGTH = timedelta(days=1)
MAX_SHEET_BYTES = 2 * 1024 * 1024


async def import_quiz(call: Call[Author]) -> Response:
    """``POST /quizzes/import[?title&mode&available_at&ends_at&wrong_answer_penalty]``:
    the body is an XLSX or CSV file; 201 with the quiz, as ``POST /quizzes``."""
    meta = import_meta(call.request.query_params, call.now)
    data = await read_body(call.request, MAX_SHEET_BYTES)
    quiz = quiz_from_rows(read_rows(data), meta)
    await call.services.media.check_known(quiz.questions)
    return created_reply(call, await call.services.catalog.create(quiz, call.who.sub))


def import_meta(query: QueryParams, now: float) -> QuizMeta:
    """What the query says of the imported quiz; a live quiz open from now for a day
    unless it says otherwise."""
    mode = query.get("mode", "live")
    if mode not in ("open", "live"):
        raise InvalidInput("mode must be open or live", code="invalid_query")
    opens = _moment(query, "available_at") or datetime.fromtimestamp(now, UTC)
    ends = _moment(query, "ends_at") or opens + DEFAULT_LENGTH
    penalty = query.get("wrong_answer_penalty", "0")
    if not penalty.isdigit() or int(penalty) > 1_000_000:
        raise InvalidInput("wrong_answer_penalty must be 0 to 1000000", code="invalid_query")
    title = query.get("title", "Imported quiz").strip()
    if not 1 <= len(title) <= 200 or "\x00" in title:
        raise InvalidInput("title must be 1 to 200 characters", code="invalid_query")
    return QuizMeta(title, "live" if mode == "live" else "open", opens, ends, int(penalty))


def _moment(query: QueryParams, name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput(f"{name} must be an ISO 8601 time with its offset", code="invalid_query")
    return moment


async def export_quiz(call: Call[Host]) -> Response:
    """``GET /quizzes/{id}/export?format=json|xlsx|csv``: the quiz to create again."""
    wanted = call.request.query_params.get("format", "json")
    if wanted not in EXPORT_FORMATS:
        formats = ", ".join(EXPORT_FORMATS)
        raise InvalidInput(f"format must be one of {formats}", code="invalid_format")
    config = await call.services.catalog.get(call.quiz_id)
    name = f"quiz-{config.id}.{wanted}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if wanted == "json":
        return json_response(quiz_body(config), headers=disposition)
    rows = quiz_rows(config)
    if wanted == "xlsx":
        return Response(xlsx_bytes(rows), media_type=XLSX_TYPE, headers=disposition)
    return Response(csv_text(rows), media_type="text/csv; charset=utf-8", headers=disposition)


def quiz_body(config: QuizConfig) -> dict[str, Any]:
    """A stored quiz as the body of ``POST /quizzes`` that would create it again."""
    return {
        "title": config.title,
        "mode": config.mode,
        "available_at": config.available_at,
        "ends_at": config.ends_at,
        "wrong_answer_penalty": config.wrong_answer_penalty,
        "late_join": config.late_join,
        "names": config.names,
        "language": config.language,
        "teams": config.teams,
        "team_score": config.team_score,
        "board_between_questions": config.board_between_questions,
        "questions": [msgspec.to_builtins(question_in(q, live=config.live))
                      for q in config.questions],
    }  # fmt: skip
