"""``GET /quizzes/{id}/results``: a quiz's results from PostgreSQL, streamed as JSON or CSV."""

from __future__ import annotations

from starlette.responses import Response, StreamingResponse

from quizboard.api.auth import Host
from quizboard.api.endpoint import Call
from quizboard.core.errors import InvalidInput
from quizboard.core.results import FORMATS
from quizboard.store.results import csv_stream, json_stream, question_results


async def results(call: Call[Host]) -> Response:
    """One row per player (rank order) and, in JSON, a summary per question. CSV with
    ``?format=csv`` or ``Accept: text/csv``."""
    s, request, quiz_id = call.services, call.request, call.quiz_id
    wanted = request.query_params.get("format")
    if wanted is None:
        wanted = "csv" if "text/csv" in request.headers.get("accept", "") else "json"
    if wanted not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", code="invalid_format")
    config = await s.catalog.get(quiz_id)
    questions = await question_results(s.pool, config)  # PostgreSQL answers before the 200
    if wanted == "csv":
        name = f"quiz-{quiz_id}-results.csv"
        return StreamingResponse(
            csv_stream(s.pool, quiz_id),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return StreamingResponse(json_stream(s.pool, config, questions), media_type="application/json")
