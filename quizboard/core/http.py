"""The HTTP face of errors: the one error body, and the status each error maps to.

The API and the gateway's handshake answer with the same body,
``{"error": {"code": ..., "message": ...}}``, and the same status for the same
error, so both read them from here.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct

from quizboard.core.errors import (
    BodyTooLarge,
    ClientGone,
    Conflict,
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


class ErrorDetail(Struct, frozen=True):
    code: str
    message: str


class ErrorBody(Struct, frozen=True):
    """Every error response: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorDetail


STATUS: Mapping[type[QuizboardError], int] = {
    MalformedJson: 400,
    BodyTooLarge: 413,
    InvalidInput: 422,
    Unauthorized: 401,
    Forbidden: 403,
    QuizNotOpen: 403,
    NotFound: 404,
    Conflict: 409,
    QuizEnded: 410,
    RateLimited: 429,
    Unavailable: 503,
    ClientGone: 499,  # no one reads it; the status is for the metrics and logs (as nginx)
}

#: The codes of the errors Starlette itself raises, by status.
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


def error_body(code: str, message: str) -> ErrorBody:
    return ErrorBody(ErrorDetail(code, message))
