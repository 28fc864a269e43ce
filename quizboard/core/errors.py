"""The one error root of quizboard.

Every error a caller may be told about is a :class:`QuizboardError` carrying a
stable snake_case ``code`` and a human ``message``. Only ``quizboard.api`` maps
these classes to HTTP status codes.
"""

from __future__ import annotations


class QuizboardError(Exception):
    """Base of every quizboard error; ``code`` is stable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ConfigError(QuizboardError):
    """A setting is missing or out of range."""

    code = "config_error"


class InvalidInput(QuizboardError):
    """The request body or a parameter is not acceptable."""

    code = "invalid_body"


class MalformedJson(InvalidInput):
    """The body is not JSON at all."""

    code = "invalid_json"


class BodyTooLarge(InvalidInput):
    """The body is over the size limit."""

    code = "body_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body is larger than {limit} bytes")
        self.limit = limit


class NotFound(QuizboardError):
    """The quiz or question does not exist."""

    code = "not_found"


class Unauthorized(QuizboardError):
    """No token, or a token that is forged or expired."""

    code = "unauthorized"


class Forbidden(QuizboardError):
    """A valid token that does not grant this action."""

    code = "forbidden"


class QuizNotOpen(QuizboardError):
    """The quiz's ``available_at`` has not come yet."""

    code = "quiz_not_open"


class QuizEnded(QuizboardError):
    """The quiz's ``ends_at`` has passed."""

    code = "quiz_ended"


class ClientGone(QuizboardError):
    """The client closed the connection before its whole request arrived."""

    code = "client_closed_request"


class Conflict(QuizboardError):
    """The request does not fit the quiz's state now: a question already answered or
    closed, a live quiz's host moving past its last question, ..."""

    code = "conflict"


class NameTaken(Conflict):
    """Another player of the quiz has this display name (compared case-folded)."""

    code = "name_taken"


class AlreadyAnswered(Conflict):
    """The player has already answered this question."""

    code = "already_answered"


class Unavailable(QuizboardError):
    """A backing service (Redis or PostgreSQL) cannot be reached right now."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(QuizboardError):
    """Too many requests from one player or one address; retry after a while."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after
