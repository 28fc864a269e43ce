"""The demo of ``quizboard up --demo``: an open sample quiz and a live one, with a few
simulated players, and a simulated host for the live quiz.

The players talk to the API over real HTTP, as any client would, so the demo
exercises the whole pipeline. They use the standard library's HTTP client in
worker threads: a handful of slow players needs nothing faster.

The live quiz runs round after round: the host opens a question, the players
answer at random times inside its limit (a slow one may miss it), the host
waits until the question closes (its time is up, or everyone answered), shows
the results for a moment and moves on; after the last question it finishes
the quiz and starts another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

SAMPLE = "everyday-english-b1.json"
NAMES = ("Ana", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Goro", "Hana", "Ines", "Jun",
         "Kofi", "Lena", "Mateo", "Nia", "Oskar", "Priya")  # fmt: skip


def sample_quiz(hours: float = 1.0) -> dict[str, Any]:
    """The packaged sample quiz, open from now for ``hours``."""
    body: dict[str, Any] = json.loads(
        resources.files("quizboard.samples").joinpath(SAMPLE).read_text()
    )
    now = datetime.now(UTC)
    body["available_at"] = now.isoformat()
    body["ends_at"] = (now + timedelta(hours=hours)).isoformat()
    return body


def live_quiz(questions: int | None = None, time_limit_s: int = 10) -> dict[str, Any]:
    """The sample quiz as a live quiz: its first ``questions``, 1000 points each."""
    body = sample_quiz()
    body["mode"] = "live"
    body["questions"] = body["questions"][:questions]
    for question in body["questions"]:
        del question["points"]
        question["time_limit_s"] = time_limit_s
    return body


def request(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    """One JSON request; returns the decoded body, raises ``HTTPError`` on 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read())


async def create_quiz(api_url: str, admin_token: str) -> dict[str, Any]:
    quiz: dict[str, Any] = await asyncio.to_thread(
        request, "POST", f"{api_url}/quizzes", sample_quiz(), admin_token
    )
    return quiz


def _guess(question: dict[str, Any], skill: float) -> int | str:
    right = random.random() < skill
    if question["kind"] == "choice":
        if right:
            return int(question["answer"])
        return random.choice(
            [i for i in range(len(question["choices"])) if i != question["answer"]]
        )
    return str(question["accepted"][0]) if right else "no idea"


async def _play(api_url: str, quiz: dict[str, Any], name: str, pace: float) -> None:
    player = await asyncio.to_thread(
        request, "POST", f"{api_url}/quizzes/{quiz['id']}/join", {"display_name": name}
    )
    skill = random.uniform(0.4, 0.95)
    for question in quiz["questions"]:
        await asyncio.sleep(random.uniform(0.5, 2.0) * pace)
        body = {"question_id": question["id"], "answer": _guess(question, skill)}
        await asyncio.to_thread(
            request, "POST", f"{api_url}/quizzes/{quiz['id']}/answers", body, player["token"]
        )


async def simulate_players(
    api_url: str, quiz: dict[str, Any], stop: asyncio.Event, *, players: int = 8, pace: float = 2.0
) -> None:
    """Keep ``players`` simulated players answering until ``stop``; a finished one is replaced."""
    wave = 0

    async def seat(index: int) -> None:
        nonlocal wave
        while not stop.is_set():
            wave += 1
            name = f"{NAMES[index % len(NAMES)]} {wave}"
            try:
                await _play(api_url, quiz, name, pace)
            except (urllib.error.URLError, OSError, TimeoutError) as exc:
                log.warning("demo player %s stopped: %s", name, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)

    async with asyncio.TaskGroup() as tasks:
        seats = [tasks.create_task(seat(i), name=f"demo-player-{i}") for i in range(players)]
        await stop.wait()
        for task in seats:  # a player may be in the middle of a long think
            task.cancel()


class LiveDemo:
    """A simulated host running live quizzes for simulated players, over HTTP."""

    def __init__(
        self,
        api_url: str,
        admin_token: str,
        *,
        players: int = 8,
        questions: int | None = None,
        time_limit_s: int = 10,
        results_s: float = 3.0,
    ) -> None:
        self._api = api_url
        self._admin = admin_token
        self._players = players
        self._questions = questions
        self._time_limit_s = time_limit_s
        self._results_s = results_s

    async def create(self) -> dict[str, Any]:
        """A new live quiz, its host token included."""
        body = live_quiz(self._questions, self._time_limit_s)
        quiz: dict[str, Any] = await asyncio.to_thread(
            request, "POST", f"{self._api}/quizzes", body, self._admin
        )
        return quiz

    async def run(self, quiz: dict[str, Any]) -> list[dict[str, Any]]:
        """Run ``quiz`` from its lobby to its end; the states the host saw after each
        question closed."""
        url = f"{self._api}/quizzes/{quiz['id']}"
        players = [
            await asyncio.to_thread(request, "POST", f"{url}/join", {"display_name": name})
            for name in random.sample(NAMES, min(self._players, len(NAMES)))
        ]
        skills = [random.uniform(0.4, 0.95) for _ in players]
        closed: list[dict[str, Any]] = []
        for question in quiz["questions"]:
            opened = await self._move(url, quiz, "next")
            async with asyncio.TaskGroup() as answers:
                for player, skill in zip(players, skills, strict=True):
                    answers.create_task(self._answer(url, opened, question, player, skill))
                closed.append(await self._until_closed(url))
            await asyncio.sleep(self._results_s)
        await self._move(url, quiz, "finish")
        return closed

    async def forever(self, stop: asyncio.Event, first: dict[str, Any]) -> None:
        """Run ``first``, then new live quizzes one after another, until ``stop``. A quiz
        cut short (the API went away a moment) is left as it is; a new one follows."""
        quiz: dict[str, Any] | None = first
        while not stop.is_set():
            pause = 10.0
            try:
                if quiz is None:
                    quiz = await self.create()
                    log.info("demo: live quiz %s starts", quiz["id"])
                await self.run(quiz)
            # A question's answers run in a task group: an error comes wrapped in a group.
            except* (urllib.error.URLError, OSError, TimeoutError) as group:
                log.warning("demo live quiz stopped: %s", group.exceptions[0])
                pause = 2.0
            quiz = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def _move(self, url: str, quiz: dict[str, Any], move: str) -> dict[str, Any]:
        state: dict[str, Any] = await asyncio.to_thread(
            request, "POST", f"{url}/{move}", None, quiz["host_token"]
        )
        return state

    async def _until_closed(self, url: str) -> dict[str, Any]:
        """Poll the state until the open question has closed."""
        while True:
            state: dict[str, Any] = await asyncio.to_thread(request, "GET", f"{url}/state")
            if state["phase"] != "question":
                return state
            left_s = (state["closes_at"] - state["server_time"]) / 1000
            await asyncio.sleep(min(max(left_s, 0.05), 0.5))

    async def _answer(
        self,
        url: str,
        opened: dict[str, Any],
        question: dict[str, Any],
        player: dict[str, Any],
        skill: float,
    ) -> None:
        """Think for a random part of the time limit (a little more, now and then), then
        answer; an answer that comes too late is refused, as it would be for anyone."""
        await asyncio.sleep(random.uniform(0.1, 1.05) * self._time_limit_s)
        body = {"question_id": opened["question"]["id"], "answer": _guess(question, skill)}
        try:
            await asyncio.to_thread(request, "POST", f"{url}/answers", body, player["token"])
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # 409: too late, or the question closed early
                log.warning("demo player %s: %s", player["player_id"], exc)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            log.warning("demo player %s: %s", player["player_id"], exc)
