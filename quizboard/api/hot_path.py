"""The hot routes, join and answer, dispatched ahead of Starlette's router.

A profile of the answer route under load put about half of the API's CPU in
Starlette's generic layers: the exception middleware, the router, the
``request_response`` wrappers, and a metrics middleware, each wrapping
``send`` again. This middleware matches the routes marked ``hot`` in the route
table itself and calls the same dispatch (:meth:`Endpoint.serve`, which checks the
route's auth), maps errors with the same handlers, and records the same metrics.
Every other request goes down the usual stack unchanged.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from quizboard.api.endpoint import Endpoint
from quizboard.api.errors import quizboard_error, server_down, unexpected
from quizboard.api.routes import ROUTES
from quizboard.core.errors import QuizboardError
from quizboard.observe.metrics import ApiMetrics
from quizboard.store.connections import SERVER_DOWN


def pattern(template: str, name: str) -> str:
    """A regex for ``template``: each ``{parameter}`` matches one segment, even an empty one
    (the handler judges its value, as for every other request). The whole is a group
    called ``name``, its parameters ``name_0``, ``name_1``, ..."""
    parts = re.split(r"{(\w+)}", template)
    body = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{name}_{i // 2}>[^/]*)"
        for i, part in enumerate(parts)
    )
    return f"(?P<{name}>{body})"


class HotRoutes:
    """The hot endpoints, matched by one regex per method.

    A request is matched on every join and answer, so this costs one regex match
    (about 0.5 µs), not a walk over the templates.
    """

    def __init__(self, endpoints: Iterable[Endpoint[Any]]) -> None:
        by_method: dict[str, list[str]] = defaultdict(list)
        # Per route's group name: the endpoint, and each parameter with its group's name.
        self._routes: dict[str, tuple[Endpoint[Any], tuple[tuple[str, str], ...]]] = {}
        for number, endpoint in enumerate(e for e in endpoints if e.hot):
            name = f"r{number}"
            params = re.findall(r"{(\w+)}", endpoint.path)
            self._routes[name] = (endpoint, tuple((p, f"{name}_{i}") for i, p in enumerate(params)))
            by_method[endpoint.method].append(pattern(endpoint.path, name))
        self._patterns = {m: re.compile("|".join(ps)) for m, ps in by_method.items()}

    def match(self, method: str, path: str) -> tuple[Endpoint[Any], dict[str, str]] | None:
        """The hot endpoint for ``method path`` and its path parameters, else ``None``."""
        compiled = self._patterns.get(method)
        found = compiled.fullmatch(path) if compiled is not None else None
        if found is None or found.lastgroup is None:
            return None
        endpoint, params = self._routes[found.lastgroup]
        return endpoint, {param: found.group(group) for param, group in params}


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
            response = await endpoint.serve(request)
        except QuizboardError as exc:
            response = await quizboard_error(request, exc)
        except SERVER_DOWN as exc:
            response = await server_down(request, exc)
        except Exception as exc:  # the one supervising level of a request: log, answer 500
            response = await unexpected(request, exc)
        await response(scope, receive, send)
        elapsed = time.perf_counter() - started
        self.metrics.observe_request(endpoint.path, endpoint.method, response.status_code, elapsed)
