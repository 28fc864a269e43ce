"""Who may watch which quiz: pure checks on the handshake's path and token."""

from __future__ import annotations

import hmac
import re
from typing import NamedTuple
from urllib.parse import parse_qs, urlsplit

from quizboard.core.errors import Forbidden, NotFound, Unauthorized
from quizboard.core.models import MAX_ID
from quizboard.core.tokens import bearer, watcher

QUIZ_PATH = re.compile(r"^/quizzes/([0-9]{1,19})$")


class Target(NamedTuple):
    """A quiz to watch and the token offered for it."""

    quiz_id: int
    token: str | None


def parse_target(path: str, authorization: str | None) -> Target:
    """The quiz in ``/quizzes/{id}`` and the token from ``?token=`` or the header."""
    parts = urlsplit(path)
    match = QUIZ_PATH.match(parts.path)
    if match is None or not 1 <= int(match.group(1)) <= MAX_ID:
        raise NotFound("no such path; watch a quiz at /quizzes/{id}", code="not_found")
    tokens = parse_qs(parts.query).get("token")
    token = tokens[0] if tokens else bearer(authorization)
    return Target(int(match.group(1)), token)


def origin_allowed(origin: str | None, allowed: str) -> bool:
    """Whether a browser page from ``origin`` may connect: any when ``allowed`` (a comma
    list) is empty; a client that sends no Origin is not a browser page, and may."""
    if origin is None or not allowed.strip():
        return True
    return origin.rstrip("/") in {o.strip().rstrip("/") for o in allowed.split(",")}


def authorize(target: Target, *, secret: bytes, admin_token: str, now: float) -> str | None:
    """Accept the admin token, or a player or host token for this very quiz; raise
    otherwise. Returns the player a player token names (``None`` for a host or the
    admin): that connection gets the player's standing too."""
    if target.token is None:
        raise Unauthorized("a token is required: ?token= or Authorization: Bearer")
    if admin_token and hmac.compare_digest(target.token.encode(), admin_token.encode()):
        return None
    quiz_id, player_id = watcher(secret, target.token, now)
    if quiz_id != target.quiz_id:
        raise Forbidden("this token belongs to another quiz", code="wrong_quiz")
    return player_id
