"""The demo of ``quizboard up --demo``: a sample quiz and a few simulated players.

The players talk to the API over real HTTP, as any client would, so the demo
exercises the whole pipeline. They use the standard library's HTTP client in
worker threads: a handful of slow players needs nothing faster.
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
