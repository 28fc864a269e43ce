"""HMAC-signed tokens: ``quiz.player.expiry.signature`` for players, and
``quiz.host.expiry.signature`` for the host of a quiz.

The player field is the player id in unpadded base64url: an app's user id (a
JWT's ``sub``) may hold any character, dots included. No UTF-8 text encodes to
``host`` that way, so the two kinds never share a field value.

A token proves that the server issued ``player`` for ``quiz`` (or made its
bearer the quiz's host) and that it has not expired. It needs no storage: any
API or gateway process with the same secret can check it. A host token is
signed over its role as well, so it can never pass for a player's token (a
player called ``host``), nor a player's for a host's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import NamedTuple

from quizboard.core.errors import Unauthorized

MAX_TOKEN_LENGTH = 512


class PlayerClaims(NamedTuple):
    """What a valid player token says."""

    quiz_id: int
    player_id: str
    expires_at: int  # epoch seconds


class HostClaims(NamedTuple):
    """What a valid host token says."""

    quiz_id: int
    expires_at: int  # epoch seconds


HOST = "host"
_HOST_DOMAIN = "host:"  # prefixed to what a host token signs


def _signature(secret: bytes, payload: str) -> str:
    digest = hmac.new(secret, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _unb64(field: str) -> str:
    try:
        return base64.urlsafe_b64decode(field + "=" * (-len(field) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:  # binascii.Error is a ValueError
        raise Unauthorized("malformed player token", code="invalid_token") from exc


def sign(secret: bytes, claims: PlayerClaims) -> str:
    """Issue a player token carrying ``claims``."""
    payload = f"{claims.quiz_id}.{_b64(claims.player_id)}.{claims.expires_at}"
    return f"{payload}.{_signature(secret, payload)}"


def sign_host(secret: bytes, claims: HostClaims) -> str:
    """Issue a host token for ``claims.quiz_id``."""
    payload = f"{claims.quiz_id}.{HOST}.{claims.expires_at}"
    return f"{payload}.{_signature(secret, _HOST_DOMAIN + payload)}"


def _checked(secret: bytes, token: str, now: float, domain: str, who: str) -> list[str]:
    """The token's three claim fields, once its signature and expiry hold."""
    parts = token.split(".") if len(token) <= MAX_TOKEN_LENGTH else []
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        raise Unauthorized(f"malformed {who} token", code="invalid_token")
    *claims, given = parts
    expected = _signature(secret, domain + ".".join(claims))
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized(f"{who} token signature does not match", code="invalid_token")
    if int(claims[2]) <= now:
        raise Unauthorized(f"{who} token has expired", code="token_expired")
    return claims


def verify(secret: bytes, token: str, now: float) -> PlayerClaims:
    """Return the claims of a genuine, unexpired player token; raise
    :class:`Unauthorized` otherwise."""
    quiz, player, expiry = _checked(secret, token, now, "", "player")
    return PlayerClaims(int(quiz), _unb64(player), int(expiry))


def verify_host(secret: bytes, token: str, now: float) -> HostClaims:
    """Return the claims of a genuine, unexpired host token; raise :class:`Unauthorized`
    otherwise."""
    quiz, _, expiry = _checked(secret, token, now, _HOST_DOMAIN, "host")
    return HostClaims(int(quiz), int(expiry))


def watcher(secret: bytes, token: str, now: float) -> tuple[int, str | None]:
    """The quiz a genuine player or host token lets its bearer watch, and the player it
    names (``None`` for a host)."""
    if token.split(".")[1:2] == [HOST]:
        return verify_host(secret, token, now).quiz_id, None
    claims = verify(secret, token, now)
    return claims.quiz_id, claims.player_id


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if there is one."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
