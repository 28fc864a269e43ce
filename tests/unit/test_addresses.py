"""The client's address behind trusted proxies, and only behind them."""

from __future__ import annotations

import pytest

from quizboard.core.addresses import client_address, parse_networks
from quizboard.core.errors import ConfigError

TRUSTED = parse_networks("10.0.0.0/8, 192.168.1.5 ::1")


def test_networks_parse_and_a_bad_one_is_named() -> None:
    assert [str(n) for n in TRUSTED] == ["10.0.0.0/8", "192.168.1.5/32", "::1/128"]
    assert parse_networks("") == ()
    with pytest.raises(ConfigError, match=r"'10\.0\.0\.300'"):
        parse_networks("10.0.0.1,10.0.0.300")


@pytest.mark.parametrize(
    ("peer", "xff", "forwarded", "client"),
    [
        # No header, or an untrusted peer: the peer itself, whatever it claims.
        ("10.1.2.3", None, None, "10.1.2.3"),
        ("203.0.113.9", "198.51.100.1", None, "203.0.113.9"),
        ("203.0.113.9", None, "for=198.51.100.1", "203.0.113.9"),
        # A trusted proxy: the right-most address that is not a trusted proxy.
        ("10.1.2.3", "198.51.100.1", None, "198.51.100.1"),
        ("10.1.2.3", "1.1.1.1, 198.51.100.1", None, "198.51.100.1"),  # the left one is forged
        ("10.1.2.3", "198.51.100.1, 10.9.9.9", None, "198.51.100.1"),  # through two proxies
        ("10.1.2.3", "10.4.4.4, 10.9.9.9", None, "10.4.4.4"),  # all ours: the first
        ("::1", " 2001:db8::7 ", None, "2001:db8::7"),
        ("10.1.2.3", "garbage, 198.51.100.1", None, "198.51.100.1"),
        ("10.1.2.3", "198.51.100.1, garbage", None, "10.1.2.3"),
        # RFC 7239, when there is no X-Forwarded-For.
        ("10.1.2.3", None, 'for=198.51.100.1;proto=https, for="10.9.9.9"', "198.51.100.1"),
        ("10.1.2.3", None, 'For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"),
        ("10.1.2.3", None, "for=192.0.2.43:47011", "192.0.2.43"),
        ("10.1.2.3", None, "for=unknown", "10.1.2.3"),
        ("10.1.2.3", "198.51.100.1", "for=192.0.2.43", "198.51.100.1"),
    ],
)
def test_the_client_is_believed_only_from_a_trusted_proxy(
    peer: str, xff: str | None, forwarded: str | None, client: str
) -> None:
    assert client_address(peer, TRUSTED, xff, forwarded) == client


def test_with_no_trusted_proxy_the_headers_never_count() -> None:
    assert client_address("10.1.2.3", (), "198.51.100.1", "for=1.2.3.4") == "10.1.2.3"
