"""The headers that keep the pages safe, on every page and every script and style.

A Content-Security-Policy lets a page run scripts, and make connections, only
from its own origin and the gateway (no inline script, no other site's), show
pictures and sounds only from its own origin, and be framed by no one. The
gateway is the configured public URL, or else the gateway's port on the host the
page was asked for (a host name that is not a plain name or address is left
out: it cannot smuggle anything into the header). ``nosniff`` keeps a browser
from running a response as another type; ``no-referrer`` keeps the pages'
addresses (and the tokens some carry in their fragments) out of other sites'
logs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quizboard.api.state import Services

PLAIN_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]")


def gateway_sources(public_url: str, port: int, host: str | None) -> str:
    """Where the pages may open the gateway's WebSocket, as CSP sources."""
    if public_url:
        parts = urlsplit(public_url)
        return f"{parts.scheme}://{parts.netloc}"
    if host is None or not PLAIN_HOST.fullmatch(host):
        return ""
    return f"ws://{host}:{port} wss://{host}:{port}"


@lru_cache(maxsize=64)
def page_headers(public_url: str, port: int, host: str | None) -> tuple[tuple[str, str], ...]:
    """The headers of a page, script or style asked for on ``host``."""
    connect = " ".join(filter(None, ("'self'", gateway_sources(public_url, port, host))))
    policy = "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "media-src 'self'",
            f"connect-src {connect}",
            "manifest-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )
    return (
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
    )


def host_of(scope: Scope) -> str | None:
    """The host name a request was sent to (its ``Host`` header, without the port)."""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host: str = value.decode("latin-1")
            return host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return None


def headers_for(services: Services, scope: Scope) -> tuple[tuple[str, str], ...]:
    settings = services.settings
    return page_headers(settings.public_gateway_url, settings.gateway_port, host_of(scope))


class Guarded:
    """An ASGI app (the pages' scripts and styles) whose responses carry the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services: Services = scope["state"]["services"]
        extra = [(k.lower().encode(), v.encode()) for k, v in headers_for(services, scope)]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self._app(scope, receive, sending)
