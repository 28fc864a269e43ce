"""One route of the API, and the one dispatch that serves it.

:meth:`Endpoint.serve` is what both Starlette's router and the hot path call: it
reads the quiz id of the path, runs the route's :class:`~quizboard.api.auth.Auth`,
and hands the handler a :class:`Call` that carries the verified caller. So the
auth a route declares in the table is the auth it enforces, and the OpenAPI
document is built from the same declaration.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.auth import Auth, Guard
from quizboard.api.inputs import path_id
from quizboard.api.state import Services, services
from quizboard.core.tokens import bearer

W = TypeVar("W")


@dataclass(frozen=True, slots=True)
class Call(Generic[W]):
    """A request that passed its route's auth: ``who`` is the verified caller (what the
    route's Auth returned), ``quiz_id`` the quiz its path names (0 for none)."""

    request: Request
    services: Services
    quiz_id: int
    who: W
    now: float  # epoch seconds, read once per request


Handler = Callable[[Call[W]], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint(Generic[W]):
    """One method on one path: who may call it, its handler, and what the OpenAPI
    document says of it. The handler's caller type is the auth's, checked by mypy."""

    method: str
    path: str
    auth: Auth[W]
    handler: Handler[W]
    summary: str
    status: int = 200
    response: Any = None  # the success body's type; None: not in the OpenAPI document
    body: type | None = None
    errors: tuple[int, ...] = ()
    query: tuple[str, ...] = ()
    hot: bool = False
    upload: bool = False  # the body is a file's bytes (application/octet-stream)

    async def serve(self, request: Request) -> Response:
        """Check the caller, then run the handler; errors propagate to the caller's
        error handlers (Starlette's, or the hot path's)."""
        s = services(request)
        quiz_id = path_id(request, "quiz_id") if "quiz_id" in request.path_params else 0
        now = time.time()
        guard = Guard(bearer(request.headers.get("authorization")), quiz_id, s, now)
        who = self.auth.check(guard)
        if self.auth.confirm is not None:
            await self.auth.confirm(who, guard)
        return await self.handler(Call(request, s, quiz_id, who, now))
