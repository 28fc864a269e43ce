"""Who may watch which quiz: the gateway's handshake, decided without a server."""

from __future__ import annotations

import pytest

from quizboard.core.errors import Forbidden, NotFound, QuizboardError, Unauthorized
from quizboard.core.tokens import HostClaims, PlayerClaims, sign, sign_host
from quizboard.gateway.handshake import Target, authorize, origin_allowed, parse_target

SECRET = b"secret"
ADMIN = "admin-token"
PLAYER = sign(SECRET, PlayerClaims(7, "player-1", 2_000))
HOST = sign_host(SECRET, HostClaims(7, 2_000))


@pytest.mark.parametrize(
    ("path", "header", "target"),
    [
        ("/quizzes/7?token=abc", None, Target(7, "abc")),
        ("/quizzes/7", "Bearer xyz", Target(7, "xyz")),
        ("/quizzes/7?token=abc", "Bearer xyz", Target(7, "abc")),  # the query wins
        ("/quizzes/7", None, Target(7, None)),
        ("/quizzes/7", "Basic xyz", Target(7, None)),
        ("/quizzes/9223372036854775807", None, Target(2**63 - 1, None)),
        ("/quizzes/7?other=1&token=a%2Bb", None, Target(7, "a+b")),
    ],
)
def test_the_target_is_the_quiz_and_the_offered_token(
    path: str, header: str | None, target: Target
) -> None:
    assert parse_target(path, header) == target


@pytest.mark.parametrize(
    "path",
    ["/", "/quizzes", "/quizzes/", "/quizzes/0", "/quizzes/-1", "/quizzes/abc",
     "/quizzes/9223372036854775808", "/quizzes/12345678901234567890", "/quizzes/7/x",
     "/quiz/7"],
)  # fmt: skip
def test_anything_but_a_quiz_path_is_not_found(path: str) -> None:
    with pytest.raises(NotFound):
        parse_target(path, None)


def check(target: Target, now: float = 1_000) -> None:
    authorize(target, secret=SECRET, admin_token=ADMIN, now=now)


def test_the_admin_and_the_quizs_own_players_and_host_may_watch() -> None:
    check(Target(7, ADMIN))
    check(Target(123, ADMIN))
    check(Target(7, PLAYER))
    check(Target(7, HOST))


@pytest.mark.parametrize(
    ("target", "now", "error", "code"),
    [
        (Target(7, None), 1_000, Unauthorized, "unauthorized"),
        (Target(7, "not-a-token"), 1_000, Unauthorized, "invalid_token"),
        (Target(7, PLAYER + "x"), 1_000, Unauthorized, "invalid_token"),
        (Target(7, PLAYER), 2_000, Unauthorized, "token_expired"),
        (Target(8, PLAYER), 1_000, Forbidden, "wrong_quiz"),
        (Target(7, ADMIN + "x"), 1_000, Unauthorized, "invalid_token"),
        (Target(8, HOST), 1_000, Forbidden, "wrong_quiz"),
        (Target(7, HOST[:-2]), 1_000, Unauthorized, "invalid_token"),
        (Target(7, HOST), 2_000, Unauthorized, "token_expired"),
    ],
)
def test_everyone_else_is_refused_with_a_reason(
    target: Target, now: float, error: type[QuizboardError], code: str
) -> None:
    with pytest.raises(error) as caught:
        check(target, now)
    assert caught.value.code == code


def test_no_admin_token_configured_admits_no_admin() -> None:
    with pytest.raises(Unauthorized):
        authorize(Target(7, ""), secret=SECRET, admin_token="", now=1_000)


@pytest.mark.parametrize(
    ("origin", "allowed", "ok"),
    [
        (None, "https://quiz.example.org", True),  # not a browser page
        ("https://evil.example", "", True),  # no list: any origin
        ("https://quiz.example.org", "https://quiz.example.org", True),
        ("https://quiz.example.org/", "http://a.test, https://quiz.example.org", True),
        ("https://evil.example", "http://a.test, https://quiz.example.org", False),
        ("null", "https://quiz.example.org", False),
    ],
)
def test_browser_origins_follow_the_allowed_list(
    origin: str | None, allowed: str, ok: bool
) -> None:
    assert origin_allowed(origin, allowed) is ok
