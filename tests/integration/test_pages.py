"""The web client's files as the API serves them (the browser tests drive the pages)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import quizboard.web
from quizboard.settings import Settings


@pytest.mark.parametrize(
    ("path", "kind", "text"),
    [
        ("/", "text/html", "Join a quiz"),
        ("/play/7", "text/html", 'data-i18n="play.your_name">Your name'),
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
    own /web/ (ours, or a library vendored with its licence), so the pages need no build
    step and nothing from outside the server."""
    html = (await api.get(page)).text
    waiting = re.findall(r'<script type="module" src="([^"]+)"', html)
    assert waiting
    seen: set[str] = set()
    while waiting:
        path = waiting.pop()
        if path in seen:
            continue
        seen.add(path)
        assert path.startswith(("/web/js/", "/web/vendor/")), path
        response = await api.get(path)
        assert response.status_code == 200, path
        assert "javascript" in response.headers["content-type"]
        waiting += re.findall(
            r'^import .*? from "([^"]+)";$', response.text, re.MULTILINE | re.DOTALL
        )
    assert len(seen) > 1 or page == "/"


@pytest.mark.parametrize("path", ["/", "/play/7", "/board/7", "/host/7", "/web/js/play.js",
                                  "/web/app.css"])  # fmt: skip
async def test_every_page_script_and_style_carries_the_headers_that_keep_it_safe(
    api: httpx.AsyncClient, settings: Settings, path: str
) -> None:
    headers = (await api.get(path)).headers
    rules = [rule.split(" ", 1) for rule in headers["content-security-policy"].split("; ")]
    policy = {rule[0]: rule[1] for rule in rules}
    assert policy["script-src"] == "'self'"  # no inline script, no other site's
    assert policy["frame-ancestors"] == "'none'"
    gateway = f"quizboard.test:{settings.gateway_port}"
    assert policy["connect-src"] == f"'self' ws://{gateway} wss://{gateway}"
    assert (headers["x-content-type-options"], headers["referrer-policy"]) == (
        "nosniff", "no-referrer",
    )  # fmt: skip


async def test_the_policy_names_the_public_gateway_and_never_a_strange_host(
    api: httpx.AsyncClient,
) -> None:
    strange = await api.get("/play/7", headers={"Host": "evil.test; script-src *"})
    policy = strange.headers["content-security-policy"]
    assert "connect-src 'self';" in policy
    assert "evil" not in policy


async def test_every_vendored_library_is_served_with_its_licence(api: httpx.AsyncClient) -> None:
    vendor = Path(quizboard.web.__file__).parent / "vendor"
    listed = (vendor / "README.md").read_text()
    libraries = [d for d in vendor.iterdir() if d.is_dir()]
    assert libraries
    for library in libraries:
        assert (library / "LICENSE").read_text().strip()
        for script in library.glob("*.js"):
            assert f"`{library.name}/{script.name}`" in listed
            response = await api.get(f"/web/vendor/{library.name}/{script.name}")
            assert "javascript" in response.headers["content-type"]


async def test_a_page_names_everything_it_will_load_and_goes_out_gzipped(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get(
        "/play/7", headers={"Accept-Encoding": "gzip", "Accept-Language": "vi-VN,vi;q=0.9,en"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["vary"]
    html = response.text
    for module in ("play.js", "view.js", "i18n.js", "forms.js"):  # view.js and i18n.js: deep
        assert f'<link rel="modulepreload" href="/web/js/{module}">' in html
    assert 'href="/web/i18n/vi.json" as="fetch"' in html  # the browser's language
    assert response.headers["link"] == "</quizzes/7>; rel=preload; as=fetch; crossorigin"
    english = await api.get(
        "/play/7", headers={"Accept-Language": "fr, en;q=0.5", "Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in english.headers
    assert 'href="/web/i18n/en.json" as="fetch"' in english.text
    script = await api.get("/web/js/play.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"
