"""Host routes of a live quiz: open the next question, reveal, finish; and its state."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.requests import path_id, require_host
from quizboard.api.responses import json_response
from quizboard.api.state import Services, services
from quizboard.core.live import open_state
from quizboard.core.models import QuizConfig


async def _hosted(request: Request) -> tuple[Services, QuizConfig]:
    s = services(request)
    quiz_id = path_id(request, "quiz_id")
    require_host(request, quiz_id, s.secret, s.settings.admin_token)
    return s, await s.catalog.get(quiz_id)


async def next_question(request: Request) -> Response:
    """``POST /quizzes/{id}/next``: close the open question, if any, and open the next."""
    s, config = await _hosted(request)
    move = await s.live.next(config)
    await s.history.moved(config.id, move, "question")
    return json_response(await s.live.state(config))


async def reveal(request: Request) -> Response:
    """``POST /quizzes/{id}/reveal``: close the open question now and publish its results."""
    s, config = await _hosted(request)
    closed = await s.live.reveal(config)
    if closed is not None:
        await s.history.closed(config.id, closed)
    return json_response(await s.live.state(config))


async def finish(request: Request) -> Response:
    """``POST /quizzes/{id}/finish``: end the quiz; the final board follows."""
    s, config = await _hosted(request)
    move = await s.live.finish(config)
    if move is not None:
        await s.history.moved(config.id, move, "finished")
    return json_response(await s.live.state(config))


async def state(request: Request) -> Response:
    """``GET /quizzes/{id}/state``: the phase, the open question and the server's time."""
    s = services(request)
    config = await s.catalog.get(path_id(request, "quiz_id"))
    if config.live:
        return json_response(await s.live.state(config))
    return json_response(open_state(config, int(time.time() * 1000)))
