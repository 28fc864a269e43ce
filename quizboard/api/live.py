"""Host routes of a live quiz: open the next question, reveal, finish; and its state."""

from __future__ import annotations

from starlette.responses import Response

from quizboard.api.auth import Host
from quizboard.api.endpoint import Call
from quizboard.api.responses import json_response
from quizboard.core.live import open_state


async def next_question(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/next``: close the open question, if any, and open the next."""
    s, config = call.services, await call.services.catalog.get(call.quiz_id)
    await s.history.moved(config.id, await s.live.next(config), "question")
    return json_response(await s.live.state(config))


async def reveal(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/reveal``: close the open question now and publish its results."""
    s, config = call.services, await call.services.catalog.get(call.quiz_id)
    if (closed := await s.live.reveal(config)) is not None:
        await s.history.closed(config.id, closed)
    return json_response(await s.live.state(config))


async def finish(call: Call[Host]) -> Response:
    """``POST /quizzes/{id}/finish``: end the quiz; the final board follows."""
    s, config = call.services, await call.services.catalog.get(call.quiz_id)
    if (move := await s.live.finish(config)) is not None:
        await s.history.moved(config.id, move, "finished")
    return json_response(await s.live.state(config))


async def state(call: Call[None]) -> Response:
    """``GET /quizzes/{id}/state``: the phase, the open question and the server's time."""
    config = await call.services.catalog.get(call.quiz_id)
    if config.live:
        return json_response(await call.services.live.state(config))
    return json_response(open_state(config, int(call.now * 1000)))
