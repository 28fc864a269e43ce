"""The two hot routes, join and answer, dispatched ahead of Starlette's router.

A profile of the answer route under load put about half of the API's CPU in
Starlette's generic layers: the exception middleware, the router, the
``request_response`` wrappers, and a metrics middleware, each wrapping
``send`` again. This middleware matches ``POST /quizzes/{id}/join`` and
``POST /quizzes/{id}/answers`` itself and calls the same endpoint functions,
maps errors with the same handlers, and records the same metrics. Every other
request goes down the usual stack unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from quizboard.api import players
from quizboard.api.errors import quizboard_error, server_down, unexpected
from quizboard.core.errors import QuizboardError
from quizboard.observe.metrics import ApiMetrics
from quizboard.store.connections import SERVER_DOWN

Endpoint = Callable[[Request], Awaitable[Response]]
ROUTES: dict[str, tuple[str, Endpoint]] = {
    "join": ("/quizzes/{quiz_id}/join", players.join),
    "answers": ("/quizzes/{quiz_id}/answers", players.answer),
}


def match(scope: Scope) -> tuple[str, str, Endpoint] | None:
    """``(quiz id, route template, endpoint)`` for a hot request, else ``None``."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    parts = scope["path"].split("/")
    if len(parts) != 4 or parts[1] != "quizzes" or parts[3] not in ROUTES:
        return None
    template, endpoint = ROUTES[parts[3]]
    return parts[2], template, endpoint


class HotPath:
    """Serves the hot routes directly; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = match(scope)
        if hot is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        quiz_id, template, endpoint = hot
        scope["path_params"] = {"quiz_id": quiz_id}
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except QuizboardError as exc:
            response = await quizboard_error(request, exc)
        except SERVER_DOWN as exc:
            response = await server_down(request, exc)
        except Exception as exc:  # the one supervising level of a request: log, answer 500
            response = await unexpected(request, exc)
        await response(scope, receive, send)
        elapsed = time.perf_counter() - started
        self.metrics.observe_request(template, "POST", response.status_code, elapsed)
