"""Run 4 of BENCHMARKS.md: quizboard against the naive server, the same load on both.

    uv run python scripts/compare.py [--rate 2000] [--duration 20] [--burst 20000] \\
        [--stored 1000000]

On one embedded Valkey and PostgreSQL (a database each), one after the other:
1. answers: an open-loop answer phase at --rate for about --duration seconds;
2. joins: a burst of --burst joins fired within 2 s;
3. reads: --stored answers already stored for one quiz, then leaderboard reads.
Prints a side-by-side table with the ratios (quizboard / naive, or naive /
quizboard for latencies, so that above 1 always means quizboard is better).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.httpclient import HttpClient
from loadkit.measure import percentiles
from loadkit.stack import ADMIN, database, loadtest, quizboard, script_server, servers

from quizboard.core.keys import Keys

SAMPLE = Path(__file__).parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"


async def _create_quiz(url: str) -> dict[str, Any]:
    spec = json.loads(SAMPLE.read_text())
    now = time.time()
    spec["available_at"] = datetime.fromtimestamp(now - 60, UTC).isoformat()
    spec["ends_at"] = datetime.fromtimestamp(now + 3 * 3600, UTC).isoformat()
    client = HttpClient(url, 4)
    try:
        status, body = await client.request("POST", "/quizzes", json.dumps(spec).encode(), ADMIN)
    finally:
        client.close()
    assert status == 201, body
    quiz: dict[str, Any] = json.loads(body)
    return quiz


def seed(target: dict[str, str], stored: int) -> int:
    """Store ``stored`` answers (10 per player) for a new quiz, as the workers would have."""
    quiz = asyncio.run(_create_quiz(target["url"]))
    questions = [q["id"] for q in quiz["questions"]]
    players = [uuid.uuid4() for _ in range(stored // len(questions))]
    now = datetime.now(UTC)
    scores: dict[str, int] = {}
    with psycopg.connect(target["database_url"]) as conn:
        with conn.cursor().copy(
            "COPY user_quiz (quiz_id, player_id, display_name, joined_at) FROM STDIN"
        ) as copy:
            for i, player in enumerate(players):
                copy.write_row((quiz["id"], player, f"player {i}", now))
        columns = "quiz_id, player_id, question_id, answer, correct, points, answered_at, event_id"
        with conn.cursor().copy(f"COPY user_answer ({columns}) FROM STDIN") as copy:
            for i, player in enumerate(players):
                for j, question in enumerate(questions):
                    points = 100 if (i * 7 + j) % 3 else 0
                    scores[str(player)] = scores.get(str(player), 0) + points
                    copy.write_row(
                        (quiz["id"], player, question, "0", points > 0, points, now, f"{i}-{j}")
                    )
        conn.execute("ANALYZE user_answer")
    if "redis_url" in target:
        keys = Keys("qb:")
        client = redis.Redis.from_url(target["redis_url"])
        board = keys.quiz(quiz["partition"], quiz["id"]).leaderboard
        names = keys.quiz(quiz["partition"], quiz["id"]).players
        items = list(scores.items())
        for start in range(0, len(items), 10_000):
            chunk = dict(items[start : start + 10_000])
            client.zadd(board, chunk)
            client.hset(names, mapping={p: f"player {i}" for i, p in enumerate(chunk)})
    return int(quiz["id"])


async def read_latency(
    url: str, quiz_id: int, reads: int = 400, concurrency: int = 8
) -> dict[str, float]:
    client = HttpClient(url, concurrency)
    latencies: list[float] = []

    async def reader(count: int) -> None:
        for _ in range(count):
            start = time.monotonic()
            status, _ = await client.request("GET", f"/quizzes/{quiz_id}/leaderboard?limit=10")
            assert status == 200
            latencies.append(time.monotonic() - start)

    started = time.monotonic()
    await asyncio.gather(*[reader(reads // concurrency) for _ in range(concurrency)])
    elapsed = time.monotonic() - started
    client.close()
    result = {k: round(v * 1000, 2) for k, v in percentiles(latencies).items() if k != "count"}
    result["reads_per_s"] = round(len(latencies) / elapsed, 1)
    return result


def measure(target: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    players = max(1, int(args.rate * args.duration / 10))
    answers = loadtest(
        target, "--players", str(players), "--rate", str(args.rate), "--watchers", "5"
    )
    joins = loadtest(
        target,
        "--players",
        str(args.burst),
        "--join-rate",
        str(args.burst / 2),
        "--joins-only",
        "--connections",
        "512",
    )
    quiz_id = seed(target, args.stored)
    reads = asyncio.run(read_latency(target["url"], quiz_id))
    return {"answers": answers, "joins": joins, "reads": reads}


def ratio(better: float, worse: float) -> str:
    if not worse:
        return "-"
    value = better / worse
    return f"{value:.1f}x" if value < 100 else f"{value:,.0f}x"


def table(results: dict[str, dict[str, Any]]) -> str:
    q, n = results["quizboard"], results["naive"]
    rows = []

    def row(name: str, a: float, b: float, higher_is_better: bool) -> None:
        r = ratio(a, b) if higher_is_better else ratio(b, a)
        rows.append(f"{name:<38} {a:>12,.1f} {b:>12,.1f} {r:>8}")

    for phase in ("answers", "joins"):
        qa, na = q[phase][phase], n[phase][phase]
        row(f"{phase}: accepted/s", qa["accepted_per_s"], na["accepted_per_s"], True)
        row(f"{phase}: latency p50 ms", qa["latency_ms"]["p50"], na["latency_ms"]["p50"], False)
        row(f"{phase}: latency p99 ms", qa["latency_ms"]["p99"], na["latency_ms"]["p99"], False)
        rows.append(
            f"{phase + ': errors':<38} {sum(qa['errors'].values()):>12} "
            f"{sum(na['errors'].values()):>12}"
        )
    fq = q["answers"]["leaderboard"]["freshness_ms"]
    fn = n["answers"]["leaderboard"]["freshness_ms"]
    row("answers: freshness p99 ms", fq["p99"], fn["p99"], False)
    row("reads after stored answers: p50 ms", q["reads"]["p50"], n["reads"]["p50"], False)
    row("reads after stored answers: p99 ms", q["reads"]["p99"], n["reads"]["p99"], False)
    row(
        "reads after stored answers: reads/s",
        q["reads"]["reads_per_s"],
        n["reads"]["reads_per_s"],
        True,
    )
    head = f"{'':<38} {'quizboard':>12} {'naive':>12} {'ratio':>8}"
    return "\n".join([head, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--burst", type=int, default=20_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--json", help="also write every report to this file")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as (redis_url, pg_url):
        with quizboard(redis_url, database(pg_url, "quizboard"), Path(tmp)) as target:
            results["quizboard"] = measure(target, args)
            print("quizboard measured", flush=True)
        with script_server("naive_server.py", database_url=database(pg_url, "naive")) as target:
            results["naive"] = measure(target, args)
            print("naive measured", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    print(table(results))
    for system, phases in results.items():
        for phase in ("answers", "joins"):
            check = phases[phase].get("consistency")
            verdict = "not checked" if check is None else "clean" if check["clean"] else check
            print(f"{system} {phase}: consistency {verdict}")


if __name__ == "__main__":
    main()
