"""Quiz routes: create, list, change and remove (admin), read, and the leaderboard."""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from quizboard.api.auth import Author, Host
from quizboard.api.endpoint import Call
from quizboard.api.inputs import decode_body, query_int
from quizboard.api.responses import json_response
from quizboard.core.errors import InvalidInput
from quizboard.core.models import (
    MAX_ID,
    STATUSES,
    CreatedQuiz,
    QuizConfig,
    QuizIn,
    QuizPatch,
    public_quiz,
)
from quizboard.core.tokens import HostClaims, sign_host
from quizboard.store.leaderboard import read_snapshot
from quizboard.store.results import stored_board
from quizboard.store.teams import read_team_board

QUIZ_DECODER = msgspec.json.Decoder(QuizIn)
PATCH_DECODER = msgspec.json.Decoder(QuizPatch)
MAX_PAGE = 100


async def create_quiz(call: Call[Author]) -> Response:
    """``POST /quizzes``: store a quiz (the caller's, when a host creates it); 201 with
    its question ids."""
    s = call.services
    quiz = await decode_body(call.request, QUIZ_DECODER, s.settings.max_body_bytes)
    await call.services.media.check_known(quiz.questions)
    return created_reply(call, await s.catalog.create(quiz, call.who.sub))


def created_reply(call: Call[Author], config: QuizConfig) -> Response:
    """201 with a new quiz and its host's token."""
    s = call.services
    expires_at = int(config.ends_at.timestamp()) + s.settings.token_grace_s
    host_token = sign_host(s.secret, HostClaims(config.id, expires_at))
    created = CreatedQuiz(**msgspec.structs.asdict(config), host_token=host_token)
    return json_response(created, 201, {"Location": f"/quizzes/{config.id}"})


async def list_quizzes(call: Call[Author]) -> Response:
    """``GET /quizzes[?status=upcoming|open|ended&limit&cursor]``: a page of quizzes,
    newest first, and the cursor of the next; a host sees its own, the admin all."""
    limit = query_int(call.request, "limit", 50, 1, MAX_PAGE)
    cursor = query_int(call.request, "cursor", 0, 1, MAX_ID) or None
    status = call.request.query_params.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", code="invalid_query")
    page = await call.services.catalog.page(limit, cursor, status, call.who.sub)
    return json_response(page)


async def update_quiz(call: Call[Host]) -> Response:
    """``PATCH /quizzes/{id}``: change a quiz before it opens; 409 ``quiz_started`` after."""
    s = call.services
    patch = await decode_body(call.request, PATCH_DECODER, s.settings.max_body_bytes)
    await s.media.check_known(patch.questions or [])
    return json_response(await s.catalog.update(call.quiz_id, patch))


async def delete_quiz(call: Call[Host]) -> Response:
    """``DELETE /quizzes/{id}``: remove a quiz before it opens; 409 ``quiz_started`` after."""
    await call.services.catalog.delete(call.quiz_id)
    return Response(status_code=204)


async def get_quiz(call: Call[None]) -> Response:
    """``GET /quizzes/{id}``: the quiz without its answers."""
    return json_response(public_quiz(await call.services.catalog.get(call.quiz_id)))


async def get_team_board(call: Call[None]) -> Response:
    """``GET /quizzes/{id}/teams``: a team quiz's teams, ranked as the quiz says."""
    config = await call.services.catalog.get(call.quiz_id)
    return json_response(await read_team_board(call.services.redis, call.services.keys, config))


async def get_leaderboard(call: Call[None]) -> Response:
    """``GET /quizzes/{id}/leaderboard``: a page of the board."""
    s = call.services
    limit = query_int(call.request, "limit", s.settings.top_n, 1, MAX_PAGE)
    offset = query_int(call.request, "offset", 0, 0, 10_000_000)
    config = await s.catalog.get(call.quiz_id)
    snapshot = await read_snapshot(
        s.redis, s.keys, config.partition, config.id, limit=limit, offset=offset
    )
    if snapshot.total_players == 0 and config.ended(call.now):
        # An ended quiz whose Redis keys expired: PostgreSQL holds its board.
        snapshot = await stored_board(s.pool, config.id, limit=limit, offset=offset)
    return json_response(snapshot)
