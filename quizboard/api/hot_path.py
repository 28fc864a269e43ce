"""The hot routes, join and answer, dispatched ahead of Starlette's router.

A profile of the answer route under load put about half of the API's CPU in
Starlette's generic layers: the exception middleware, the router, the
``request_response`` wrappers, and a metrics middleware, each wrapping
``send`` again. This middleware matches the routes marked ``hot`` in the route
table itself and calls the same endpoint functions, maps errors with the same
handlers, and records the same metrics. Every other request goes down the
usual stack unchanged.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from quizboard.api.errors import quizboard_error, server_down, unexpected
from quizboard.api.routes import ROUTES, Endpoint
from quizboard.core.errors import QuizboardError
from quizboard.observe.metrics import ApiMetrics
from quizboard.store.connections import SERVER_DOWN

# A template's segments: the literal text, or None where a ``{parameter}`` stands.
Segments = tuple[str | None, ...]


def segments(template: str) -> tuple[Segments, tuple[str, ...]]:
    """``/quizzes/{quiz_id}/join`` as ``(("", "quizzes", None, "join"), ("quiz_id",))``."""
    parts = template.split("/")
    literal = tuple(None if p.startswith("{") else p for p in parts)
    names = tuple(p[1:-1] for p in parts if p.startswith("{"))
    return literal, names


class HotRoutes:
    """The hot endpoints, indexed by method and number of segments for :meth:`match`."""

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        self._index: dict[tuple[str, int], list[tuple[Segments, tuple[str, ...], Endpoint]]]
        self._index = defaultdict(list)
        for endpoint in endpoints:
            if endpoint.hot:
                literal, names = segments(endpoint.path)
                self._index[endpoint.method, len(literal)].append((literal, names, endpoint))

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        """The hot endpoint for ``method path`` and its path parameters, else ``None``.

        A parameter matches any one segment, even an empty one: the handler checks
        its value, as it does for every other request.
        """
        parts = path.split("/")
        for literal, names, endpoint in self._index.get((method, len(parts)), ()):
            values = []
            for want, part in zip(literal, parts, strict=True):
                if want is None:
                    values.append(part)
                elif want != part:
                    break
            else:
                return endpoint, dict(zip(names, values, strict=True))
        return None


class HotPath:
    """Serves the hot routes directly; everything else goes to ``app``."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = HotRoutes(ROUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.routes.match(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if hot is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        endpoint, scope["path_params"] = hot
        request = Request(scope, receive)
        try:
            response = await endpoint.handler(request)
        except QuizboardError as exc:
            response = await quizboard_error(request, exc)
        except SERVER_DOWN as exc:
            response = await server_down(request, exc)
        except Exception as exc:  # the one supervising level of a request: log, answer 500
            response = await unexpected(request, exc)
        await response(scope, receive, send)
        elapsed = time.perf_counter() - started
        self.metrics.observe_request(endpoint.path, endpoint.method, response.status_code, elapsed)
