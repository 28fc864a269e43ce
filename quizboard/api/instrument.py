"""Request metrics: a pure ASGI middleware that counts and times every request by route,
and the ``/metrics`` route that shows them."""

from __future__ import annotations

import time
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quizboard.api.endpoint import Call
from quizboard.observe.metrics import CONTENT_TYPE, ApiMetrics, render


class RequestMetrics:
    """Labels each request with its route's path template, never the raw path."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            self.metrics.observe_request(template, scope["method"], status, elapsed)


async def metrics_text(call: Call[None]) -> Response:
    """``GET /metrics``: this process's metrics in the Prometheus text format."""
    return Response(render(call.services.metrics.registry), media_type=CONTENT_TYPE)
