"""The app's own users: a join may carry the app's JWT, and its ``sub`` is the player.

Checked with PyJWT against one key: HS256 with a shared secret, or RS256/ES256
with a PEM public key. The algorithms allowed come from the key's kind, never
from the token, so ``alg: none`` or a public key used as an HMAC secret are
refused. Expiry and not-before are enforced; audience and issuer when set.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, NamedTuple

import jwt

from quizboard.core.errors import Unauthorized

MAX_SUB_BYTES = 128
LEEWAY_S = 5  # clock skew allowed between the app and us


@dataclass(frozen=True, slots=True)
class JwtPolicy:
    """How the app's JWTs are checked; ``enabled`` once a key is configured."""

    secret: str = ""
    public_key: str = ""
    audience: str = ""
    issuer: str = ""
    host_claim: str = ""  # "role=teacher": a JWT whose role claim is (or holds) teacher

    @property
    def enabled(self) -> bool:
        return bool(self.secret or self.public_key)

    def names_a_host(self, claims: dict[str, Any]) -> bool:
        """Whether ``claims`` carry the host claim: its value, or a list holding it."""
        name, equals, wanted = self.host_claim.partition("=")
        if not equals or not name:
            return False
        value = claims.get(name)
        return value == wanted or (isinstance(value, list) and wanted in value)

    def key_and_algorithms(self) -> tuple[str, list[str]]:
        """The one key, and the algorithms its kind allows."""
        if self.secret:
            return self.secret, ["HS256"]
        return self.public_key, ["RS256", "ES256"]


class AppUser(NamedTuple):
    """Who the JWT says the user is: a player, and a host when its claims say so."""

    sub: str
    name: str | None
    host: bool = False


def verify_app_jwt(token: str, policy: JwtPolicy) -> AppUser:
    """The user of a genuine, current JWT; :class:`Unauthorized` with a precise code
    otherwise."""
    key, algorithms = policy.key_and_algorithms()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=policy.audience or None,
            issuer=policy.issuer or None,
            leeway=LEEWAY_S,
            options={"require": ["sub", "exp"], "verify_aud": bool(policy.audience)},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("the app token has expired", code="jwt_expired") from exc
    except jwt.ImmatureSignatureError as exc:
        raise Unauthorized("the app token is not valid yet", code="jwt_not_yet_valid") from exc
    except jwt.InvalidAudienceError as exc:
        raise Unauthorized("the app token is for another audience", code="jwt_audience") from exc
    except jwt.InvalidIssuerError as exc:
        raise Unauthorized("the app token has another issuer", code="jwt_issuer") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized(f"the app token is not valid: {exc}", code="invalid_jwt") from exc
    sub = claims["sub"]
    if not isinstance(sub, str) or not _fit(sub):
        raise Unauthorized(
            f"the app token's sub must be text of 1 to {MAX_SUB_BYTES} bytes, "
            "without control characters",
            code="invalid_jwt",
        )
    name = claims.get("name")
    return AppUser(sub, name if isinstance(name, str) else None, policy.names_a_host(claims))


def _fit(sub: str) -> bool:
    return 0 < len(sub.encode()) <= MAX_SUB_BYTES and not any(
        unicodedata.category(ch) == "Cc" for ch in sub
    )
