"""Room routes: the host removes players, locks the lobby, and lists who is in it."""

from __future__ import annotations

from starlette.responses import Response

from quizboard.api.auth import Host
from quizboard.api.endpoint import Call
from quizboard.api.responses import json_response
from quizboard.core.errors import NotFound
from quizboard.core.identity import MAX_SUB_BYTES
from quizboard.core.room import Removal


async def players(call: Call[Host]) -> Response:
    """``GET /quizzes/{id}/players``: the lock, and every player with its score."""
    config = await call.services.catalog.get(call.quiz_id)
    return json_response(await call.services.room.state(config))


async def kick(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/players/{player_id}/kick``: off the board, its token refused."""
    return await _remove(call, "kick")


async def ban(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/players/{player_id}/ban``: as a kick, and an app's user may
    not join again."""
    return await _remove(call, "ban")


async def _remove(call: Call[Host], reason: Removal) -> Response:
    player_id = call.request.path_params["player_id"]
    if not 0 < len(player_id.encode()) <= MAX_SUB_BYTES or not player_id.isprintable():
        raise NotFound(f"no player {player_id[:80]!r}", code="player_not_found")
    s = call.services
    config = await s.catalog.get(call.quiz_id)
    await s.room.remove(config, player_id, reason)
    return json_response(await s.room.state(config))


async def lock(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/lock``: joins get 409 ``lobby_locked`` until unlocked."""
    return await _lock(call, locked=True)


async def unlock(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/unlock``: the lobby takes joins again."""
    return await _lock(call, locked=False)


async def _lock(call: Call[Host], *, locked: bool) -> Response:
    s = call.services
    config = await s.catalog.get(call.quiz_id)
    await s.room.lock(config, locked)
    return json_response(await s.room.state(config))
