"""Room routes: the host removes players, locks the lobby, and lists who is in it."""

from __future__ import annotations

import msgspec
from starlette.responses import Response

from quizboard.api.auth import Host
from quizboard.api.endpoint import Call
from quizboard.api.inputs import decode_body, query_int
from quizboard.api.responses import json_response
from quizboard.core.errors import NotFound
from quizboard.core.identity import MAX_SUB_BYTES
from quizboard.core.models import clean_display_name
from quizboard.core.room import Removal, Rename
from quizboard.store.room import ROOM_PAGE

RENAME_DECODER = msgspec.json.Decoder(Rename)
MAX_ROOM_PAGE = 10_000


async def players(call: Call[Host]) -> Response:
    """``GET /quizzes/{id}/players``: the lock, and every player with its score."""
    limit = query_int(call.request, "limit", ROOM_PAGE, 1, MAX_ROOM_PAGE)
    config = await call.services.catalog.get(call.quiz_id)
    return json_response(await call.services.room.state(config, limit))


async def kick(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/players/{player_id}/kick``: off the board, its token refused."""
    return await _remove(call, "kick")


async def ban(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/players/{player_id}/ban``: as a kick, and an app's user may
    not join again."""
    return await _remove(call, "ban")


def _player(call: Call[Host]) -> str:
    player_id: str = call.request.path_params["player_id"]
    if not 0 < len(player_id.encode()) <= MAX_SUB_BYTES or not player_id.isprintable():
        raise NotFound(f"no player {player_id[:80]!r}", code="player_not_found")
    return player_id


async def _remove(call: Call[Host], reason: Removal) -> Response:
    s = call.services
    config = await s.catalog.get(call.quiz_id)
    await s.room.remove(config, _player(call), reason)
    return json_response(await s.room.state(config))


async def rename(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/players/{player_id}/name``: the host gives a player a name
    fit for the room (checked as a join's is); 409 ``name_taken`` for another's."""
    s = call.services
    body = await decode_body(call.request, RENAME_DECODER, s.settings.max_body_bytes)
    config = await s.catalog.get(call.quiz_id)
    name = clean_display_name(body.display_name)
    await s.room.rename(config, _player(call), name, int(call.now * 1000))
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
