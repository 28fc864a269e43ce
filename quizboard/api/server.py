"""Serving the API with uvicorn: alone on its port, or as one of several on the same port."""

from __future__ import annotations

import logging
import socket

import uvicorn

from quizboard.api.app import create_app
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings


def reusable_socket(host: str, port: int) -> socket.socket:
    """A listening socket with SO_REUSEPORT: each process of a role binds its own, and
    the kernel spreads new connections over them evenly (unlike one shared socket,
    where the busiest process accepts the most)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_api(
    settings: Settings,
    tracing: Tracing | None = None,
    *,
    reuse_port: bool = False,
    metrics_port: int | None = None,
) -> None:
    """Serve the API until SIGTERM or SIGINT.

    With ``reuse_port`` it binds with SO_REUSEPORT, so several processes share the
    port; with ``metrics_port`` it also serves its own ``/metrics`` there, since a
    scrape of the shared port reaches whichever process the kernel picks.
    """
    app = create_app(settings, tracing, metrics_port=metrics_port)
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=logging.getLogger().getEffectiveLevel(),
        log_config=None,  # uvicorn's records go to our handler, as JSON when not on a terminal
        # Each is a per-request cost; a proxy in front sets its own headers.
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    if reuse_port:
        server.run(sockets=[reusable_socket(settings.api_host, settings.api_port)])
    else:
        server.run()
