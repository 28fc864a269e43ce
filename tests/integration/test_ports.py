"""``quizboard up`` refuses a port in use, but not one that only holds TIME-WAIT connections."""

from __future__ import annotations

import socket

import pytest

from quizboard.core.errors import ConfigError
from quizboard.local.up import check_port_free


def listening() -> socket.socket:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_port_someone_listens_on_is_refused() -> None:
    with listening() as server:
        port = server.getsockname()[1]
        with pytest.raises(ConfigError, match=f"api port {port} is in use"):
            check_port_free("127.0.0.1", port, "api")


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free() -> None:
    server = listening()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: its end of the connection waits
    client.recv(1)
    client.close()
    server.close()
    check_port_free("127.0.0.1", port, "api")
