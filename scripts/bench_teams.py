"""What teams cost the scripts that take and score events (issue 22's 1.1x goal).

    uv run python scripts/bench_teams.py [--players 20000] [--teams 20] [--rounds 4]

One embedded Valkey, no HTTP: the noise of a full stack hides a few microseconds.
Each round runs two quizzes in turn (each first in alternate rounds): one without
teams and one with --teams teams. For each:
- joins: --players joins through the API's own Intake, coalesced as the API sends
  them, none picking a team, so the accepting script looks at every team to place
  each player (the worst case);
- answers: one answer per player through the Intake (the accepting script does
  nothing for teams on an answer: the same work, measured as a check);
- applying: the answers-redis sink applies those answers in batches of 500, as a
  worker does (with teams, each answer's points also go to its team).
Prints Valkey's CPU per event (INFO cpu, user and system) and the client's events/s
for each step, and the ratios with teams / without.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from quizboard.api.intake import Intake
from quizboard.core.events import AnswerEvent, JoinEvent
from quizboard.core.keys import ANSWERS, Keys
from quizboard.local.embedded import EmbeddedValkey
from quizboard.store.connections import Redis
from quizboard.streams.entries import Entry
from quizboard.streams.redis_sinks import LeaderboardAnswerSink

KEYS = Keys("bench:")
STEPS = ("joins", "answers", "applying")
BATCH = 500  # entries per apply, as a worker's batch at this rate


async def cpu(redis: Redis) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def measured(
    redis: Redis, count: int, work: Callable[[], Awaitable[None]]
) -> tuple[float, float]:
    """Valkey's CPU µs per event and the events/s of ``work`` (``count`` events)."""
    before, started = await cpu(redis), time.perf_counter()
    await work()
    wall = time.perf_counter() - started
    return 1e6 * (await cpu(redis) - before) / count, count / wall


async def one_quiz(
    redis: Redis, quiz_id: int, teams: int, players: int
) -> dict[str, tuple[float, float]]:
    """Every step for one quiz: per step, Valkey µs per event and events/s."""
    ids = [f"p{n}" for n in range(players)]
    now = int(time.time() * 1000)
    out: dict[str, tuple[float, float]] = {}
    async with Intake(redis, KEYS) as intake:

        async def joins() -> None:
            await asyncio.gather(*(
                intake.join(0, JoinEvent(quiz_id, p, p, now), "127.0.0.1", team_count=teams)
                for p in ids
            ))  # fmt: skip

        async def answers() -> None:
            await asyncio.gather(*(
                intake.answer(0, AnswerEvent(quiz_id, p, 1, "a", True, 100, now),
                              now + 3_600_000, "127.0.0.1")
                for p in ids
            ))  # fmt: skip

        out["joins"] = await measured(redis, players, joins)
        out["answers"] = await measured(redis, players, answers)
    stream = KEYS.stream(0, ANSWERS)
    rows: Any = await redis.xrange(stream, count=players)
    entries = [Entry(stream, i.decode(), fields) for i, fields in rows]
    sink = LeaderboardAnswerSink(redis, KEYS)

    async def applying() -> None:
        for start in range(0, len(entries), BATCH):
            await sink.apply("answers-redis", entries[start : start + BATCH])

    out["applying"] = await measured(redis, players, applying)
    await redis.flushall()
    return out


async def run(url: str, players: int, teams: int, rounds: int) -> None:
    redis: Redis = aioredis.Redis.from_url(url)
    results: dict[str, list[dict[str, tuple[float, float]]]] = {"none": [], "teams": []}
    quiz_id = 0
    for round_ in range(rounds):
        order = [("none", 0), ("teams", teams)][:: -1 if round_ % 2 else 1]
        for name, count in order:
            quiz_id += 1
            got = await one_quiz(redis, quiz_id, count, players)
            results[name].append(got)
            shown = ", ".join(f"{s} {got[s][0]:.1f} µs ({got[s][1]:,.0f}/s)" for s in STEPS)
            print(f"round {round_ + 1} {name:>5}: {shown}", flush=True)
    await redis.aclose()
    print()
    for step in STEPS:
        plain = statistics.median(r[step][0] for r in results["none"])
        teamed = statistics.median(r[step][0] for r in results["teams"])
        rate = statistics.median(r[step][1] for r in results["teams"]) / statistics.median(
            r[step][1] for r in results["none"]
        )
        print(
            f"{step:>9}: Valkey CPU per event {plain:.1f} µs without teams, {teamed:.1f} µs "
            f"with {teams}: {teamed / plain:.3f}x; events/s {rate:.3f}x (medians)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=20_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedValkey(Path(tmp)) as valkey:
        asyncio.run(run(valkey.url, args.players, args.teams, args.rounds))


if __name__ == "__main__":
    main()
