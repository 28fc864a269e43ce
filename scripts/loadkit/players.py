"""The simulated players: joins and answers over HTTP, open or closed loop.

Everything here runs in one generator process; ``loadtest.py --procs N`` runs
the answer phase in N of them and merges what they return.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import time
from dataclasses import dataclass, field
from typing import Any

from loadkit.httpclient import HttpClient

# One outcome: wall-clock time of the response, latency (s), status, error code,
# event id (answers accepted), points.
Outcome = tuple[float, float, int, str, str, int]


@dataclass
class Phase:
    """What one phase produced in one process."""

    outcomes: list[Outcome] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0
    cpu_seconds: float = 0.0
    behind: int = 0  # open loop: requests sent later than scheduled by > 100 ms

    def merge(self, other: Phase) -> None:
        self.outcomes += other.outcomes
        self.started = min(self.started or other.started, other.started)
        self.ended = max(self.ended, other.ended)
        self.cpu_seconds += other.cpu_seconds
        self.behind += other.behind


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _error_code(body: bytes) -> str:
    try:
        return str(json.loads(body)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "unparsed"


def guess(question: dict[str, Any], rng: random.Random) -> int | str | list[int]:
    """Right two times in three when the answer is known; a guess otherwise. An order's
    or a match's answer is a shuffle of what the page shows, as a player's would be."""
    right = rng.random() < 2 / 3
    kind = question["kind"]
    if kind in ("order", "match"):
        placed = list(range(len(question.get("items") or question.get("pairs") or [])))
        rng.shuffle(placed)
        return placed
    if kind == "multi":
        if "answers" in question and right:
            return list(question["answers"])
        picks = rng.sample(range(len(question["choices"])), rng.randint(1, 3))
        return sorted(picks)
    if kind == "choice":
        if "answer" in question and right:
            return int(question["answer"])
        return rng.randrange(len(question["choices"]))
    if "accepted" in question and right:
        return str(question["accepted"][0])
    return "guess"


async def _send(
    client: HttpClient, path: str, body: bytes, token: str | None, due: float, phase: Phase
) -> bytes:
    try:
        status, reply = await client.request("POST", path, body, token)
    except (ConnectionError, OSError) as exc:
        phase.outcomes.append((time.time(), time.monotonic() - due, 0, type(exc).__name__, "", 0))
        return b""
    latency = time.monotonic() - due
    if status == 202:
        data = json.loads(reply)
        event = data.get("event_id", "")
        phase.outcomes.append((time.time(), latency, status, "", event, int(data.get("points", 0))))
    else:
        phase.outcomes.append((time.time(), latency, status, _error_code(reply), "", 0))
    return reply


async def open_loop(
    jobs: list[tuple[str, bytes, str | None]], rate: float, client: HttpClient, on_sent: Any = None
) -> Phase:
    """Send ``jobs`` at ``rate`` per second whatever the server does; latency from the schedule."""
    phase = Phase(started=time.time())
    cpu = _cpu()
    start = time.monotonic()
    running: set[asyncio.Task[bytes]] = set()
    for index, (path, body, token) in enumerate(jobs):
        due = start + index / rate
        delay = due - time.monotonic()
        if delay > 0.001:
            await asyncio.sleep(delay)
        elif delay < -0.1:
            phase.behind += 1
        task = asyncio.create_task(_send(client, path, body, token, due, phase))
        running.add(task)
        task.add_done_callback(running.discard)
        if on_sent is not None:
            on_sent()
    if running:
        await asyncio.gather(*running)
    phase.ended = time.time()
    phase.cpu_seconds = _cpu() - cpu
    return phase


async def closed_loop(
    players: list[list[tuple[str, bytes, str | None]]],
    think: float,
    client: HttpClient,
    on_sent: Any = None,
) -> Phase:
    """Each player sends its jobs one after another, thinking ``think`` seconds between."""
    phase = Phase(started=time.time())
    cpu = _cpu()

    async def play(jobs: list[tuple[str, bytes, str | None]]) -> None:
        for path, body, token in jobs:
            if think:
                await asyncio.sleep(random.uniform(0.5, 1.5) * think)
            await _send(client, path, body, token, time.monotonic(), phase)
            if on_sent is not None:
                on_sent()

    await asyncio.gather(*[play(jobs) for jobs in players])
    phase.ended = time.time()
    phase.cpu_seconds = _cpu() - cpu
    return phase


def answer_jobs(
    quiz: dict[str, Any], players: list[dict[str, Any]], seed: int
) -> list[list[tuple[str, bytes, str | None]]]:
    """For each player, one answer to every question of the quiz."""
    rng = random.Random(seed)
    path = f"/quizzes/{quiz['id']}/answers"
    return [
        [
            (
                path,
                json.dumps({"question_id": q["id"], "answer": guess(q, rng)}).encode(),
                p["token"],
            )
            for q in quiz["questions"]
        ]
        for p in players
    ]


def interleave(per_player: list[list[tuple[str, bytes, str | None]]]) -> list[Any]:
    """Question by question across players, so every player progresses together."""
    rounds = max((len(jobs) for jobs in per_player), default=0)
    return [jobs[r] for r in range(rounds) for jobs in per_player if r < len(jobs)]


def run_answer_share(args: dict[str, Any]) -> Phase:
    """Entry point of a generator process: answer for a share of the players."""
    import uvloop

    async def main() -> Phase:
        client = HttpClient(args["url"], args["connections"])
        try:
            wait = args["start_at"] - time.time()
            if wait > 0:
                await asyncio.sleep(wait)
            jobs = answer_jobs(args["quiz"], args["players"], args["seed"])
            if args["rate"]:
                return await open_loop(interleave(jobs), args["rate"], client)
            return await closed_loop(jobs, args["think"], client)
        finally:
            client.close()

    return uvloop.run(main())
