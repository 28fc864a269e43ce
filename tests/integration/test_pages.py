"""The web client's files as the API serves them (the browser tests drive the pages)."""

from __future__ import annotations

import re

import httpx
import pytest

from quizboard.settings import Settings


@pytest.mark.parametrize(
    ("path", "kind", "text"),
    [
        ("/", "text/html", "Join a quiz"),
        ("/play/7", "text/html", 'label for="name">Your name'),
        ("/board/7", "text/html", "/web/js/board.js"),
        ("/host", "text/html", "Host or admin token"),
        ("/host/7", "text/html", "Next question"),
        ("/web/app.css", "text/css", "--accent"),
        ("/web/js/feed.js", "javascript", "export class Feed"),
    ],
)
async def test_the_pages_and_their_files_are_served(
    api: httpx.AsyncClient, path: str, kind: str, text: str
) -> None:
    response = await api.get(path)
    assert response.status_code == 200
    assert kind in response.headers["content-type"]
    assert text in response.text


@pytest.mark.parametrize(
    "path", ["/play/abc", "/board/0", "/web/missing.js", "/web/../settings.py", "/host/x"]
)
async def test_anything_else_is_a_404(api: httpx.AsyncClient, path: str) -> None:
    response = await api.get(path)
    assert response.status_code == 404


async def test_the_client_config_names_the_gateway(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    config = (await api.get("/client-config.json")).json()
    assert config == {
        "gateway_url": "",
        "gateway_port": settings.gateway_port,
        "top_n": settings.top_n,
    }


IMPORT = re.compile(r'^import .*? from "([^"]+)";$', re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", ["/", "/play/7", "/board/7", "/host/7"])
async def test_every_module_a_page_loads_is_served_by_the_api_itself(
    api: httpx.AsyncClient, page: str
) -> None:
    """Each page's scripts and the modules they import, transitively: all from the API's
    own /web/, so the pages need no build step and nothing from outside the server."""
    html = (await api.get(page)).text
    waiting = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert waiting
    seen: set[str] = set()
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path.startswith("/web/js/"), path
        response = await api.get(path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"]
        waiting += re.findall(
            r'^import .*? from "([^"]+)";$', response.text, re.MULTILINE | re.DOTALL
        )
    assert len(seen) > 1 or page == "/"
