"""The relay (quizboard/local/relay.py): bytes arrive whole and in order, however the
link holds them, and an impaired link holds them as long as it says."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from quizboard.local.relay import RTO_S, Impairment, Relay


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(65_536):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address  # type: ignore[misc]
    server.shutdown()
    server.server_close()


def _round_trip(port: int, messages: list[bytes]) -> tuple[bytes, float]:
    """Send each message as its own write; everything echoed back, and the seconds it took."""
    expected = sum(len(m) for m in messages)
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for message in messages:
            conn.sendall(message)
        received = b""
        while len(received) < expected:
            received += conn.recv(65_536)
    return received, time.monotonic() - started


def test_a_plain_relay_forwards_both_ways(echo: tuple[str, int]) -> None:
    with Relay(("127.0.0.1", 0), echo) as relay:
        received, _ = _round_trip(relay.port, [b"hello ", b"world"])
    assert received == b"hello world"


def test_a_jittery_lossy_link_keeps_the_bytes_in_order(echo: tuple[str, int]) -> None:
    impairment = Impairment(delay_s=0.01, jitter_s=0.01, loss=0.2)
    messages = [f"{n:04d};".encode() for n in range(200)]
    with Relay(("127.0.0.1", 0), echo, impairment) as relay:
        received, _ = _round_trip(relay.port, messages)
    assert received == b"".join(messages)


def test_a_slow_link_holds_each_round_trip_for_its_delay(echo: tuple[str, int]) -> None:
    with Relay(("127.0.0.1", 0), echo, Impairment(delay_s=0.1)) as relay:
        _, took = _round_trip(relay.port, [b"ping"])
    assert took >= 0.1


def test_a_lost_chunk_waits_a_retransmission_timeout() -> None:
    always_lost = Impairment(delay_s=0.05, loss=1.0)
    assert always_lost.hold(outbound=True) == pytest.approx(0.05 + RTO_S)
    assert always_lost.hold(outbound=False) == pytest.approx(RTO_S)  # no delay back


def test_jitter_spreads_the_delay_within_its_bounds() -> None:
    link = Impairment(delay_s=0.05, jitter_s=0.02)
    holds = [link.hold(outbound=True) for _ in range(1000)]
    assert 0.03 <= min(holds) < 0.035
    assert 0.065 < max(holds) <= 0.07
    assert Impairment().describe() == "clean"
    assert link.describe() == "50 ± 20 ms, 0% loss"
