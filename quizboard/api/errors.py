"""The Starlette exception handlers: each error becomes its status and the one error body."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.responses import error_response
from quizboard.core.errors import QuizboardError, RateLimited, Unauthorized, Unavailable
from quizboard.core.http import HTTP_CODES, status_of
from quizboard.store.connections import SERVER_DOWN

log = logging.getLogger(__name__)


async def quizboard_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QuizboardError)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, Unavailable | RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(status_of(exc), exc.code, exc.message, headers)


async def server_down(request: Request, exc: Exception) -> Response:
    log.warning("%s %s: a backing server is unavailable: %r", request.method, request.url.path, exc)
    return error_response(
        503, "unavailable", "a backing service is unavailable; retry shortly", {"Retry-After": "1"}
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, exc.detail, exc.headers)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "an unexpected error occurred")


def exception_handlers() -> dict[Any, Any]:
    handlers: dict[Any, Any] = {
        QuizboardError: quizboard_error,
        HTTPException: http_error,
        Exception: unexpected,
    }
    handlers.update(dict.fromkeys(SERVER_DOWN, server_down))
    return handlers
