"""HMAC-signed player tokens: ``quiz.player.expiry.signature``.

A token proves that the server issued ``player`` for ``quiz`` and that it has
not expired. It needs no storage: any API or gateway process with the same
secret can check it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NamedTuple

from quizboard.core.errors import Unauthorized

MAX_TOKEN_LENGTH = 256


class PlayerClaims(NamedTuple):
    """What a valid player token says."""

    quiz_id: int
    player_id: str
    expires_at: int  # epoch seconds


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: bytes, claims: PlayerClaims) -> str:
    """Issue a token carrying ``claims``."""
    payload = f"{claims.quiz_id}.{claims.player_id}.{claims.expires_at}"
    return f"{payload}.{_signature(secret, payload)}"


def verify(secret: bytes, token: str, now: float) -> PlayerClaims:
    """Return the claims of a genuine, unexpired token; raise :class:`Unauthorized` otherwise."""
    parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH else []
    if len(parts) != 4:
        raise Unauthorized("malformed player token", code="invalid_token")
    quiz, player, expiry, given = parts
    expected = _signature(secret, f"{quiz}.{player}.{expiry}")
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized("player token signature does not match", code="invalid_token")
    claims = PlayerClaims(int(quiz), player, int(expiry))
    if claims.expires_at <= now:
        raise Unauthorized("player token has expired", code="token_expired")
    return claims


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if there is one."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
