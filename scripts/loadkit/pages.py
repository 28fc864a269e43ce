"""Players that play the way the web client's play page does, each with its own socket.

``page`` does what ``quizboard/web/js/play.js`` does now: it loads the page as a
browser does on a first visit (the HTML, the style, every module, the catalogue,
the service worker and the manifest: :func:`page_files`, gzipped), then the page's
data (the quiz, ``/client-config.json``, a live quiz's ``/state``), opens the
quiz's WebSocket with the player's token, answers over HTTP, and reads its rank
from the ``standing`` messages the gateway pushes. ``poll`` is the page as it was
before standings were pushed, kept as the baseline: the same, plus
``GET /leaderboard/me?around=1`` after every snapshot in which the player is not
in the top (at most once a second, the last one never lost), and at once after
each question's results and the end. Every request goes through the kit's
:class:`HttpClient`, which counts them by route.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from loadkit.httpclient import HttpClient
from loadkit.measure import stream_id
from loadkit.players import Phase
from quizboard.api import web

GZIP = {"Accept-Encoding": "gzip"}


def page_files(quiz_id: int) -> list[str]:
    """What a browser fetches to show the play page on a first visit (the modules as
    the page's head names them, so this follows the page)."""
    modules = [f"/web/js/{m}" for m in ("play.js", *web.modules("play.js"))]
    return [f"/play/{quiz_id}", "/web/app.css", *modules, "/web/i18n/en.json", "/sw.js",
            "/web/manifest.webmanifest", "/web/icons/icon-192.png"]  # fmt: skip


MODES = ("api", "page", "poll")  # api: answers only, no player sockets (the kit's old way)
POLL_INTERVAL_S = 1.0  # the old page's /leaderboard/me pace


@dataclass
class Answered:
    """An answer the page got a 202 for."""

    event_id: str
    accepted_at: float  # time.time() at the reply
    total: int  # the player's points with this answer, as the replies add up


@dataclass
class PlayerPage:
    """One player's page: what it sent and what reached it."""

    player: dict[str, Any]
    answers: list[Answered] = field(default_factory=list)
    standings: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    me: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # poll's replies
    on_board: list[tuple[float, int]] = field(default_factory=list)  # my row in a snapshot
    poll: asyncio.TimerHandle | None = None  # the old page's next /leaderboard/me
    poll_due: float = 0.0
    points: int = 0
    media: set[str] = field(default_factory=set)  # the files its browser has cached


class PlayerPages:
    """Every player's page, in one process; the socket readers run until :meth:`close`."""

    def __init__(
        self, gateway: str, quiz: dict[str, Any], players: list[dict[str, Any]],
        client: HttpClient, mode: str,
    ) -> None:  # fmt: skip
        self.gateway = gateway
        self.quiz = quiz
        self.client = client
        self.mode = mode
        self.pages = [PlayerPage(p) for p in players]
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = 0
        self.failed = 0

    async def open(self, concurrency: int = 200) -> None:
        """Load each page's data and open its socket, ``concurrency`` at a time."""
        slots = asyncio.Semaphore(concurrency)
        opened = [asyncio.Event() for _ in self.pages]

        async def load(page: PlayerPage, ready: asyncio.Event) -> None:
            quiz_id = self.quiz["id"]
            async with slots:
                for path in page_files(quiz_id):
                    await self.client.request("GET", path, headers=GZIP)
                await self.client.request("GET", f"/quizzes/{quiz_id}")
                await self.client.request("GET", "/client-config.json")
                if self.quiz.get("mode") == "live":
                    await self.client.request("GET", f"/quizzes/{quiz_id}/state")
                self._tasks.append(asyncio.create_task(self._watch(page, ready)))
                await ready.wait()

        await asyncio.gather(*(load(p, e) for p, e in zip(self.pages, opened, strict=True)))

    async def _watch(self, page: PlayerPage, ready: asyncio.Event) -> None:
        url = f"{self.gateway}/quizzes/{self.quiz['id']}?token={page.player['token']}"
        try:
            async with connect(url, compression=None, max_size=2**22) as ws:
                self.connected += 1
                ready.set()
                await self._read(page, ws)
        except (ConnectionClosed, InvalidStatus, OSError) as exc:
            self.failed += 1
            print(f"player page: {exc!r}", file=sys.stderr)
        finally:
            ready.set()

    async def _read(self, page: PlayerPage, ws: ClientConnection) -> None:
        me = page.player["player_id"]
        async for raw in ws:
            message = json.loads(raw)
            kind = message["type"]
            if kind == "standing":
                page.standings.append((time.time(), message))
            elif kind == "leaderboard":
                mine = [e["score"] for e in message["entries"] if e["player_id"] == me]
                if mine:
                    page.on_board.append((time.time(), mine[0]))
                elif self.mode == "poll":
                    self._refresh(page, now=False)
            elif kind == "question":
                self._show(page, message["question"])
                continue
            elif self.mode != "poll":
                continue
            elif kind in ("question_results", "quiz_finished"):
                self._refresh(page, now=True)

    def _show(self, page: PlayerPage, question: dict[str, Any]) -> None:
        """What the page loads to show a question: its pictures, each once (they are
        cached as immutable). A sound loads only when the player plays it."""
        shown = [question.get("image")]
        shown += [m.get("image") for m in question.get("choice_media") or [] if m]
        for media_id in shown:
            if media_id and media_id not in page.media:
                page.media.add(media_id)
                fetch = self.client.request("GET", f"/media/{media_id}")
                self._tasks.append(asyncio.create_task(_quietly(fetch)))

    def _refresh(self, page: PlayerPage, *, now: bool) -> None:
        """The old page's refreshStanding: at once, or at most once a second."""
        if page.poll is not None:  # one is on its way
            if not now:
                return
            page.poll.cancel()
        wait = 0.0 if now else max(0.0, page.poll_due - time.monotonic())
        page.poll = asyncio.get_running_loop().call_later(
            wait, lambda: self._tasks.append(asyncio.create_task(self._load_standing(page)))
        )

    async def _load_standing(self, page: PlayerPage) -> None:
        page.poll = None
        page.poll_due = time.monotonic() + POLL_INTERVAL_S
        try:
            status, body = await self.client.request(
                "GET", f"/quizzes/{self.quiz['id']}/leaderboard/me?around=1", b"",
                page.player["token"],
            )  # fmt: skip
        except (ConnectionError, OSError):
            return
        if status == 200:
            standing = json.loads(body)
            page.me.append((time.time(), standing))
            if standing.get("rank") is None:
                self._refresh(page, now=False)

    async def answer(
        self, question: dict[str, Any], window: float, rng: random.Random, miss: float,
        guess: Any,
    ) -> Phase:  # fmt: skip
        """Each page answers ``question`` once, at a time spread over ``window`` s (open
        loop: the schedule does not wait for the server); a ``miss`` share does not."""
        phase = Phase(started=time.time())
        path = f"/quizzes/{self.quiz['id']}/answers"
        start = time.monotonic()

        async def one(page: PlayerPage, at: float, value: Any) -> None:
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            due = start + at
            body = json.dumps({"question_id": question["id"], "answer": value}).encode()
            try:
                status, reply = await self.client.request("POST", path, body, page.player["token"])
            except (ConnectionError, OSError) as exc:
                phase.outcomes.append((time.time(), 0.0, 0, type(exc).__name__, "", 0))
                return
            latency = time.monotonic() - due
            if status != 202:
                phase.outcomes.append((time.time(), latency, status, str(status), "", 0))
                return
            data = json.loads(reply)
            page.points += int(data.get("points", 0))
            page.answers.append(Answered(data["event_id"], time.time(), page.points))
            phase.outcomes.append(
                (time.time(), latency, 202, "", data["event_id"], int(data.get("points", 0)))
            )

        plans = [
            (page, rng.random() * window, guess(question, rng))
            for page in self.pages
            if rng.random() >= miss
        ]
        await asyncio.gather(*(one(*plan) for plan in plans))
        phase.ended = time.time()
        return phase

    def freshness(self) -> list[float]:
        """Per accepted answer, seconds from its 202 to the player's page showing its
        points: the first pushed standing whose ``as_of`` covers it (``page``); or the
        first ``/leaderboard/me`` reply, or snapshot row of the player's, with the
        points (``poll``: the old page showed its rank from either)."""
        found: list[float] = []
        for page in self.pages:
            for answered in page.answers:
                if self.mode == "poll":
                    seen = [(t, m.get("score", 0)) for t, m in page.me] + page.on_board
                    shown = (t for t, score in sorted(seen) if score >= answered.total)
                else:
                    event = stream_id(answered.event_id)
                    shown = (t for t, m in page.standings if _covers(m["as_of"], event))
                arrival = next((t for t in shown if t >= answered.accepted_at - 1.0), None)
                if arrival is not None:
                    found.append(max(0.0, arrival - answered.accepted_at))
        return found

    def missed(self) -> int:
        """Accepted answers whose points never reached their page."""
        return sum(len(p.answers) for p in self.pages) - len(self.freshness())

    async def finish(self, settle_s: float) -> None:
        """Let the last standings arrive."""
        await asyncio.sleep(settle_s)

    async def close(self) -> None:
        for page in self.pages:
            if page.poll is not None:
                page.poll.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def _quietly(request: Awaitable[tuple[int, bytes]]) -> None:
    """A request whose reply the page only shows: a failure costs a blank picture."""
    with contextlib.suppress(ConnectionError, OSError):
        await request


def _covers(as_of: str, event: tuple[int, int]) -> bool:
    return bool(as_of) and stream_id(as_of) >= event


class PageProcesses:
    """The players' pages spread over ``procs`` processes, so the generator is not what
    a large run measures; driven from this process, with the same calls as
    :class:`PlayerPages`. Each child counts its own requests; :meth:`finish` adds
    them to ``requests``."""

    def __init__(
        self, url: str, gateway: str, quiz: dict[str, Any], players: list[dict[str, Any]],
        mode: str, procs: int, connections: int,
    ) -> None:  # fmt: skip
        self.mode = mode
        self.connected = 0
        self.failed = 0
        self._fresh: list[float] = []
        self._missed = 0
        self.requests: dict[str, int] = {}
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._children: list[BaseProcess] = []
        for index in range(procs):
            ours, theirs = context.Pipe()
            spec = {
                "url": url, "gateway": gateway, "quiz": quiz, "mode": mode,
                "players": players[index::procs], "connections": max(8, connections // procs),
            }  # fmt: skip
            child = context.Process(target=_child, args=(theirs, spec), daemon=True)
            child.start()
            self._pipes.append(ours)
            self._children.append(child)

    async def _ask(self, *command: Any) -> list[Any]:
        for pipe in self._pipes:
            pipe.send(command)
        return [await asyncio.to_thread(pipe.recv) for pipe in self._pipes]

    async def open(self) -> None:
        for _, connected, failed in [await asyncio.to_thread(p.recv) for p in self._pipes]:
            self.connected += connected
            self.failed += failed

    async def answer(
        self, question: dict[str, Any], window: float, rng: random.Random, miss: float,
        guess: Any,
    ) -> Phase:  # fmt: skip
        phase = Phase(started=time.time())
        for _, part in await self._ask("answer", question, window, miss, rng.random()):
            phase.merge(part)
        return phase

    async def finish(self, settle_s: float) -> None:
        """Let the last standings arrive, then collect what every page saw."""
        for _, fresh, missed, requests in await self._ask("finish", settle_s):
            self._fresh += fresh
            self._missed += missed
            for route, count in requests.items():
                self.requests[route] = self.requests.get(route, 0) + count

    def freshness(self) -> list[float]:
        return self._fresh

    def missed(self) -> int:
        return self._missed

    async def close(self) -> None:
        for child in self._children:
            await asyncio.to_thread(child.join, 10)


def _child(pipe: Connection, spec: dict[str, Any]) -> None:
    """A generator process: its share of the pages, answering when told."""
    import uvloop

    from loadkit.players import guess

    async def main() -> None:
        client = HttpClient(spec["url"], spec["connections"])
        pages = PlayerPages(spec["gateway"], spec["quiz"], spec["players"], client, spec["mode"])
        try:
            await pages.open()
            pipe.send(("ready", pages.connected, pages.failed))
            while True:
                command = await asyncio.to_thread(pipe.recv)
                if command[0] == "answer":
                    _, question, window, miss, seed = command
                    rng = random.Random(seed)
                    phase = await pages.answer(question, window, rng, miss, guess)
                    pipe.send(("answered", phase))
                    continue
                await asyncio.sleep(command[1])
                pipe.send(("done", pages.freshness(), pages.missed(), dict(client.requests)))
                return
        finally:
            await pages.close()
            client.close()

    uvloop.run(main())
