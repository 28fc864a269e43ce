"""The web client's pages, and where they find the gateway.

The pages are static files in ``quizboard/web`` (no build step). Each page route
answers the same HTML whatever its quiz id (the dispatch refuses an id that names
no quiz): the page's script reads the id from its own address. The scripts and
styles are served under ``/web/``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.responses import HTMLResponse, Response

from quizboard.api.endpoint import Call
from quizboard.api.responses import json_response

NO_STORE = {"Cache-Control": "no-cache"}


@cache
def _page(name: str) -> str:
    return resources.files("quizboard.web").joinpath(name).read_text()


async def index(call: Call[None]) -> Response:
    """``GET /``: join a quiz by its id."""
    return HTMLResponse(_page("index.html"), headers=NO_STORE)


async def play(call: Call[None]) -> Response:
    """``GET /play/{id}``: join and play."""
    return HTMLResponse(_page("play.html"), headers=NO_STORE)


async def board(call: Call[None]) -> Response:
    """``GET /board/{id}``: the big-screen board."""
    return HTMLResponse(_page("board.html"), headers=NO_STORE)


async def host(call: Call[None]) -> Response:
    """``GET /host`` and ``GET /host/{id}``: the host console."""
    return HTMLResponse(_page("host.html"), headers=NO_STORE)


async def client_config(call: Call[None]) -> Response:
    """``GET /client-config.json``: where the pages reach the gateway. Without a public
    URL, the pages use the gateway's port on their own host."""
    settings = call.services.settings
    return json_response(
        {"gateway_url": settings.public_gateway_url, "gateway_port": settings.gateway_port}
    )
