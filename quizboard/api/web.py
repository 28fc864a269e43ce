"""The web client's pages, and where they find the gateway.

The pages are static files in ``quizboard/web`` (no build step): each page's
``<main>`` in a file of its own, inside the chrome every page shares
(``chrome.html``: the head, the header bar, the script). Each page route
answers the same HTML whatever its quiz id (the dispatch refuses an id that names
no quiz): the page's script reads the id from its own address. The scripts and
styles are served under ``/web/``.

A phone on a slow network waits a round trip for each step of a chain of loads, so
each page names, in its head, every module its script imports (however deep) and
the catalogue of the language its browser asks for: the browser fetches them all at
once. Pages, scripts and styles go out compressed to browsers that take gzip.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

from starlette.responses import HTMLResponse, Response

from quizboard.api.endpoint import Call
from quizboard.api.responses import json_response
from quizboard.api.safety import headers_for

NO_STORE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True, slots=True)
class Page:
    """A page: its ``<main>`` (a file in ``quizboard/web``), its tab title, its script
    (in ``web/js``) and its body's class. The chrome around it is ``chrome.html``."""

    main: str
    title: str
    script: str
    body_class: str = ""
    quiz: bool = False  # its script asks for its quiz (GET /quizzes/{id}) at once


INDEX = Page("index.html", "quizboard", "index.js")
PLAY = Page("play.html", "Play · quizboard", "play.js", quiz=True)
BOARD = Page("board.html", "Board · quizboard", "board.js", "big", quiz=True)
HOST = Page("host.html", "Host · quizboard", "host.js")


#: The languages the pages speak: one catalogue each in web/i18n.
CATALOGUES = resources.files("quizboard.web").joinpath("i18n")
LANGUAGES = tuple(
    sorted(f.name.removesuffix(".json") for f in CATALOGUES.iterdir() if f.name.endswith(".json"))
)
IMPORT = re.compile(r'^import .*? from "/web/js/([\w.]+)";$', re.MULTILINE | re.DOTALL)


@cache
def modules(script: str) -> tuple[str, ...]:
    """Every module ``script`` (in ``web/js``) imports, directly or not, in the order
    first met."""
    files = resources.files("quizboard.web").joinpath("js")
    seen: dict[str, None] = {}
    waiting = [script]
    while waiting:
        name = waiting.pop(0)
        for imported in IMPORT.findall(files.joinpath(name).read_text()):
            if imported not in seen and imported != script:
                seen[imported] = None
                waiting.append(imported)
    return tuple(seen)


def language(accept_language: str) -> str:
    """The catalogue a browser asking for ``accept_language`` will load (its first
    language we speak, else English), as web/js/i18n.js picks it."""
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in LANGUAGES:
            return code
    return "en"


@cache
def _html(page: Page, lang: str) -> str:
    files = resources.files("quizboard.web")
    chrome = Template(files.joinpath("chrome.html").read_text())
    main = files.joinpath(page.main).read_text().rstrip("\n")
    preloads = [f'<link rel="modulepreload" href="/web/js/{m}">' for m in modules(page.script)]
    preloads.append(
        f'<link rel="preload" href="/web/i18n/{lang}.json" as="fetch" crossorigin="anonymous">'
    )
    return chrome.substitute(
        title=page.title, body_class=page.body_class, main=main, script=page.script,
        preloads="\n  ".join(preloads),
    )  # fmt: skip


@cache
def _gzipped(page: Page, lang: str) -> bytes:
    return gzip.compress(_html(page, lang).encode(), mtime=0)


def _headers(call: Call[None]) -> dict[str, str]:
    """A page's or a script's headers: revalidated on each load, and kept safe."""
    return {**NO_STORE, **dict(headers_for(call.services, call.request.scope))}


def _respond(call: Call[None], page: Page) -> Response:
    request = call.request
    lang = language(request.headers.get("accept-language", ""))
    headers = _headers(call)
    headers["Vary"] = "Accept-Encoding, Accept-Language"
    if call.quiz_id and page.quiz:  # its quiz, fetched with the page's own files
        headers["Link"] = f"</quizzes/{call.quiz_id}>; rel=preload; as=fetch; crossorigin"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(_gzipped(page, lang), media_type="text/html", headers=headers)
    return HTMLResponse(_html(page, lang), headers=headers)


async def index(call: Call[None]) -> Response:
    """``GET /``: join a quiz by its id."""
    return _respond(call, INDEX)


async def play(call: Call[None]) -> Response:
    """``GET /play/{id}``: join and play."""
    return _respond(call, PLAY)


async def board(call: Call[None]) -> Response:
    """``GET /board/{id}``: the big-screen board."""
    return _respond(call, BOARD)


async def host(call: Call[None]) -> Response:
    """``GET /host`` and ``GET /host/{id}``: the host console."""
    return _respond(call, HOST)


async def service_worker(call: Call[None]) -> Response:
    """``GET /sw.js``: the player app's service worker, served from the root so that its
    scope is every page (a worker's scope is at most its own folder)."""
    headers = _headers(call)
    return Response(_file("sw.js"), media_type="text/javascript", headers=headers)


@cache
def _file(name: str) -> str:
    return resources.files("quizboard.web").joinpath(name).read_text()


async def client_config(call: Call[None]) -> Response:
    """``GET /client-config.json``: where the pages reach the gateway (without a public
    URL, the gateway's port on their own host), and how many rows a board shows."""
    settings = call.services.settings
    return json_response(
        {
            "gateway_url": settings.public_gateway_url,
            "gateway_port": settings.gateway_port,
            "top_n": settings.top_n,
        }
    )
