"""Mapping errors to HTTP status codes: the only place that knows about both."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.responses import error_response
from quizboard.connections import SERVER_DOWN
from quizboard.errors import (
    AlreadyAnswered,
    BodyTooLarge,
    ClientGone,
    Forbidden,
    InvalidInput,
    MalformedJson,
    NotFound,
    QuizboardError,
    QuizEnded,
    QuizNotOpen,
    RateLimited,
    Unauthorized,
    Unavailable,
)

log = logging.getLogger(__name__)

STATUS: Mapping[type[QuizboardError], int] = {
    MalformedJson: 400,
    BodyTooLarge: 413,
    InvalidInput: 422,
    Unauthorized: 401,
    Forbidden: 403,
    QuizNotOpen: 403,
    NotFound: 404,
    AlreadyAnswered: 409,
    QuizEnded: 410,
    RateLimited: 429,
    Unavailable: 503,
    ClientGone: 499,  # no one reads it; the status is for the metrics and logs (as nginx)
}

HTTP_CODES: Mapping[int, str] = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
}


def status_of(error: QuizboardError) -> int:
    """The status of the nearest mapped class in ``error``'s hierarchy (500 for none)."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


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
