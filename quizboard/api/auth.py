"""Who may call a route: each :class:`Auth` checks a request's bearer token and returns
the verified caller, and says what it refuses, for the OpenAPI document.

A route declares its ``Auth`` in the route table (:mod:`quizboard.api.routes`); the
dispatch (:meth:`quizboard.api.endpoint.Endpoint.serve`) runs the check before the
handler and hands the handler what the check returned. No handler reads a token.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from quizboard.api.state import Services
from quizboard.core.errors import Forbidden, Unauthorized
from quizboard.core.identity import AppUser, verify_app_jwt
from quizboard.core.tokens import PlayerClaims, verify, verify_host

W = TypeVar("W")


@dataclass(frozen=True, slots=True)
class Host:
    """The host of ``quiz_id``: its host token's bearer, the admin, or the app user who
    owns it (``author``, its JWT's sub; the dispatch confirms the ownership)."""

    quiz_id: int
    admin: bool
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Author:
    """Who may create quizzes: the admin (``sub`` ``None``: it sees them all), or an app
    user whose JWT names a host (``QUIZBOARD_JWT_HOST_CLAIM``: it sees its own)."""

    sub: str | None


@dataclass(frozen=True, slots=True)
class Guard:
    """What a check needs of a request: its bearer token, the quiz its path names (0 for
    none), the services and the time."""

    token: str | None
    quiz_id: int
    services: Services
    now: float


#: The kinds of caller an Auth is documented against, and that the route test plays.
CALLERS = (
    "no token",
    "not a token",
    "a player of the quiz",
    "a player of another quiz",
    "the host of another quiz",
    "the host of the quiz",
    "the admin",
)


@dataclass(frozen=True, slots=True)
class Auth(Generic[W]):
    """One way to be let in: ``check`` returns the verified caller or raises
    :class:`Unauthorized` or :class:`Forbidden`.

    ``scheme`` names its OpenAPI security scheme (``None``: anyone may call), and
    ``refusals`` what it answers each kind of caller it turns away, as
    ``{caller: (status, code)}``: the document publishes it, and a test holds the
    check to it.
    """

    scheme: str | None
    check: Callable[[Guard], W]
    description: str = ""
    refusals: tuple[tuple[str, int, str], ...] = ()
    optional: bool = False  # a caller without a token may pass too
    # what the check cannot see without I/O, confirmed before the handler runs
    confirm: Callable[[W, Guard], Awaitable[None]] | None = None


def _anyone(guard: Guard) -> None:
    return None


def _app_host(guard: Guard) -> str | None:
    """The sub of an app user whose JWT names a host; ``None`` for a token that is no
    JWT (quizboard's own have three dots, a JWT two). A JWT that names no host is
    refused."""
    jwt = guard.services.jwt
    if guard.token is None or not jwt.enabled or guard.token.count(".") != JWT_DOTS:
        return None
    user = verify_app_jwt(guard.token, jwt)
    if not user.host:
        raise Forbidden("this app user is not a host", code="not_host")
    return user.sub


def _author(guard: Guard) -> Author:
    if guard.token is None:
        raise Unauthorized("the admin token or a host's JWT is required")
    if _is_admin(guard.token, guard.services):
        return Author(None)
    sub = _app_host(guard)
    if sub is None:
        raise Forbidden("this token is not the admin token", code="not_admin")
    return Author(sub)


def _host(guard: Guard) -> Host:
    if guard.token is None:
        raise Unauthorized("a host token is required: Authorization: Bearer <token>")
    if _is_admin(guard.token, guard.services):
        return Host(guard.quiz_id, admin=True)
    sub = _app_host(guard)
    if sub is not None:
        return Host(guard.quiz_id, admin=False, author=sub)
    claims = verify_host(guard.services.secret, guard.token, guard.now)
    if claims.quiz_id != guard.quiz_id:
        raise Forbidden("this host token belongs to another quiz", code="wrong_quiz")
    return Host(guard.quiz_id, admin=False)


def _player(guard: Guard) -> PlayerClaims:
    if guard.token is None:
        raise Unauthorized("a player token is required: Authorization: Bearer <token>")
    claims = verify(guard.services.secret, guard.token, guard.now)
    if claims.quiz_id != guard.quiz_id:
        raise Forbidden("this token belongs to another quiz", code="wrong_quiz")
    return claims


def _app_user(guard: Guard) -> AppUser | None:
    s = guard.services
    if guard.token is None:
        if not s.settings.anonymous_join:
            raise Unauthorized(
                "joining takes the app's token: Authorization: Bearer <JWT>",
                code="identity_required",
            )
        return None
    if not s.jwt.enabled:
        raise Unauthorized(
            "this server takes no app tokens: join without Authorization",
            code="jwt_not_accepted",
        )
    return verify_app_jwt(guard.token, s.jwt)


def _is_admin(token: str, services: Services) -> bool:
    return hmac.compare_digest(token.encode(), services.settings.admin_token.encode())


_NO_TOKEN = ("no token", 401, "unauthorized")
_FORGED = ("not a token", 401, "invalid_token")
_PLAYERS = ("a player of the quiz", "a player of another quiz")
_OTHERS = ("the host of another quiz", "the host of the quiz", "the admin")


def _each(callers: tuple[str, ...], status: int, code: str) -> tuple[tuple[str, int, str], ...]:
    return tuple((caller, status, code) for caller in callers)


async def _owns(host: Host, guard: Guard) -> None:
    """An app user hosts only the quizzes it created."""
    if host.author is None:
        return
    config = await guard.services.catalog.get(guard.quiz_id)
    if config.owner != host.author:
        raise Forbidden("this quiz belongs to another host", code="not_owner")


JWT_DOTS = 2
ANYONE: Auth[None] = Auth(None, _anyone)
AUTHOR: Auth[Author] = Auth(
    "author", _author,
    "the admin token, or the app's JWT whose claim names a host (QUIZBOARD_JWT_HOST_CLAIM)",
    (_NO_TOKEN, *_each(CALLERS[1:-1], 403, "not_admin")),
)  # fmt: skip
HOST: Auth[Host] = Auth(
    "host",
    _host,
    "the quiz's host token (from its creation), the admin token, or the JWT of the app "
    "user who created the quiz",
    (_NO_TOKEN, _FORGED, *_each(_PLAYERS, 401, "invalid_token"),
     ("the host of another quiz", 403, "wrong_quiz")),
    confirm=_owns,
)  # fmt: skip
PLAYER: Auth[PlayerClaims] = Auth(
    "player",
    _player,
    "a player token of the quiz (from its join)",
    (_NO_TOKEN, _FORGED, ("a player of another quiz", 403, "wrong_quiz"),
     *_each(_OTHERS, 401, "invalid_token")),
)  # fmt: skip
APP_USER: Auth[AppUser | None] = Auth(
    "app",
    _app_user,
    "optional: the app's own JWT, whose sub is the player (QUIZBOARD_JWT_SECRET or "
    "QUIZBOARD_JWT_PUBLIC_KEY); refused as documented while no key is configured, and "
    "required when QUIZBOARD_ANONYMOUS_JOIN=false",
    _each(CALLERS[1:], 401, "jwt_not_accepted"),
    optional=True,
)

#: Every Auth that has a security scheme, for the OpenAPI document.
SCHEMES: tuple[Auth[Any], ...] = (AUTHOR, HOST, PLAYER, APP_USER)
