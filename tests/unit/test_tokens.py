from __future__ import annotations

import pytest

from quizboard.core.errors import Unauthorized
from quizboard.core.tokens import PlayerClaims, bearer, sign, verify

SECRET = b"secret"
CLAIMS = PlayerClaims(7, "0b8e7f0c-1c2d-4e5f-8a9b-0c1d2e3f4a5b", 2_000)


def test_a_signed_token_verifies_to_its_claims() -> None:
    assert verify(SECRET, sign(SECRET, CLAIMS), now=1_000) == CLAIMS


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(Unauthorized) as caught:
        verify(SECRET, sign(SECRET, CLAIMS), now=2_000)
    assert caught.value.code == "token_expired"


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(Unauthorized):
        verify(b"other", sign(SECRET, CLAIMS), now=1_000)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("7.", "8.", 1),  # another quiz
        lambda t: t.replace(".2000.", ".9999.", 1),  # a later expiry
        lambda t: t[:-2] + "AA",  # a forged signature
        lambda t: t + ".x",
        lambda t: "",
        lambda t: "a" * 10_000,
    ],
)
def test_tampered_tokens_are_refused(tamper: object) -> None:
    token = sign(SECRET, CLAIMS)
    with pytest.raises(Unauthorized):
        verify(SECRET, tamper(token), now=1_000)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer ", None),
     (None, None), ("", None)],
)  # fmt: skip
def test_bearer(header: str | None, token: str | None) -> None:
    assert bearer(header) == token


@pytest.mark.parametrize("player", ["user.42", "1001", "ünï.cødé/+=", "a" * 128])
def test_any_app_user_id_rides_in_a_player_token(player: str) -> None:
    token = sign(b"k", PlayerClaims(3, player, 2_000_000_000))
    assert verify(b"k", token, 0) == PlayerClaims(3, player, 2_000_000_000)
    assert token.count(".") == 3
