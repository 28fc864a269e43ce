"""The pages' safety headers: where the policy lets a page connect."""

from __future__ import annotations

import pytest

from quizboard.api.safety import gateway_sources, host_of, page_headers


def test_a_public_gateway_url_is_named_by_its_origin() -> None:
    assert gateway_sources("wss://quiz.example.org/ws", 8001, "x") == "wss://quiz.example.org"
    policy = dict(page_headers("wss://quiz.example.org/ws", 8001, "x"))["Content-Security-Policy"]
    assert "connect-src 'self' wss://quiz.example.org;" in policy


@pytest.mark.parametrize(
    ("host", "sources"),
    [
        ("class.example.org", "ws://class.example.org:8001 wss://class.example.org:8001"),
        ("[::1]", "ws://[::1]:8001 wss://[::1]:8001"),
        ("a b", ""),
        ("x;script-src *", ""),
        (None, ""),
    ],
)
def test_without_one_the_gateway_is_its_port_on_a_plain_host(
    host: str | None, sources: str
) -> None:
    assert gateway_sources("", 8001, host) == sources


@pytest.mark.parametrize(
    ("header", "host"),
    [(b"example.org:8000", "example.org"), (b"[::1]:8000", "[::1]"), (b"[::1]", "[::1]"),
     (b"example.org", "example.org")],
)  # fmt: skip
def test_the_host_is_the_header_without_its_port(header: bytes, host: str) -> None:
    assert host_of({"headers": [(b"host", header)]}) == host
