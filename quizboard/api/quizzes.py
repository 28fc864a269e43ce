"""Quiz routes: create and list (admin), read, and the leaderboard."""

from __future__ import annotations

import time

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.requests import decode_body, path_id, query_int, require_admin
from quizboard.api.responses import json_response
from quizboard.api.state import services
from quizboard.core.errors import InvalidInput
from quizboard.core.models import (
    MAX_ID,
    STATUSES,
    CreatedQuiz,
    QuizIn,
    QuizPatch,
    public_quiz,
)
from quizboard.core.tokens import HostClaims, sign_host
from quizboard.store.leaderboard import read_snapshot
from quizboard.store.results import stored_board

QUIZ_DECODER = msgspec.json.Decoder(QuizIn)
PATCH_DECODER = msgspec.json.Decoder(QuizPatch)
MAX_PAGE = 100


async def create_quiz(request: Request) -> Response:
    """``POST /quizzes``: store a quiz; 201 with its question ids."""
    s = services(request)
    require_admin(request, s.settings.admin_token)
    quiz = await decode_body(request, QUIZ_DECODER, s.settings.max_body_bytes)
    config = await s.catalog.create(quiz)
    expires_at = int(config.ends_at.timestamp()) + s.settings.token_grace_s
    host_token = sign_host(s.secret, HostClaims(config.id, expires_at))
    created = CreatedQuiz(**msgspec.structs.asdict(config), host_token=host_token)
    return json_response(created, 201, {"Location": f"/quizzes/{config.id}"})


async def list_quizzes(request: Request) -> Response:
    """``GET /quizzes[?status=upcoming|open|ended&limit&cursor]``: a page of quizzes,
    newest first, and the cursor of the next."""
    s = services(request)
    require_admin(request, s.settings.admin_token)
    limit = query_int(request, "limit", 50, 1, MAX_PAGE)
    cursor = query_int(request, "cursor", 0, 1, MAX_ID) or None
    status = request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_query")
    return json_response(await s.catalog.page(limit, cursor, status))


async def update_quiz(request: Request) -> Response:
    """``PATCH /quizzes/{id}``: change a quiz before it opens; 409 ``quiz_started`` after."""
    s = services(request)
    require_admin(request, s.settings.admin_token)
    quiz_id = path_id(request, "quiz_id")
    patch = await decode_body(request, PATCH_DECODER, s.settings.max_body_bytes)
    return json_response(await s.catalog.update(quiz_id, patch))


async def delete_quiz(request: Request) -> Response:
    """``DELETE /quizzes/{id}``: remove a quiz before it opens; 409 ``quiz_started`` after."""
    s = services(request)
    require_admin(request, s.settings.admin_token)
    await s.catalog.delete(path_id(request, "quiz_id"))
    return Response(status_code=204)


async def get_quiz(request: Request) -> Response:
    """``GET /quizzes/{id}``: the quiz without its answers."""
    s = services(request)
    config = await s.catalog.get(path_id(request, "quiz_id"))
    return json_response(public_quiz(config))


async def get_leaderboard(request: Request) -> Response:
    """``GET /quizzes/{id}/leaderboard``: a page of the board."""
    s = services(request)
    quiz_id = path_id(request, "quiz_id")
    limit = query_int(request, "limit", s.settings.top_n, 1, MAX_PAGE)
    offset = query_int(request, "offset", 0, 0, 10_000_000)
    config = await s.catalog.get(quiz_id)
    snapshot = await read_snapshot(
        s.redis, s.keys, config.partition, config.id, limit=limit, offset=offset
    )
    if snapshot.total_players == 0 and config.ended(time.time()):
        # An ended quiz whose Redis keys expired: PostgreSQL holds its board.
        snapshot = await stored_board(s.pool, config.id, limit=limit, offset=offset)
    return json_response(snapshot)
