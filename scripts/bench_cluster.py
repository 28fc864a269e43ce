"""Run 5 of BENCHMARKS.md: one Valkey against a local 3-master cluster, the same load on both.

    uv run python scripts/bench_cluster.py [--rate 3000] [--duration 20]

Each variant runs `quizboard up` (API, gateway, one worker per group) on an
embedded PostgreSQL (a database of its own) and, in turn, one embedded Valkey
and a local cluster of 3 masters and 3 replicas (QUIZBOARD_REDIS_CLUSTER) from
the same wheel; the rate limits are off, since one generator is one address.
The same open-loop load goes to both: accepted answers/s, p99, lag to
PostgreSQL and to the board, leaderboard freshness, and the CPU each role
spends per accepted answer, in CPU-µs (from the kit's per-process figures).
All of it shares the machine's cores, so the cluster's six servers are a cost
here that separate hosts would not pay.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.stack import database, loadtest, quizboard, servers

from quizboard.local.cluster import EmbeddedCluster


def cpu_us_per_answer(report: dict[str, Any]) -> dict[str, float]:
    """CPU-µs each role spent per accepted answer over the answer phase."""
    rate = report["answers"]["accepted_per_s"] or 1.0
    return {
        role: round(row["cpu_percent"] / 100 / rate * 1e6, 1)
        for role, row in report.get("processes", {}).items()
    }


def row(name: str, report: dict[str, Any]) -> dict[str, Any]:
    answers = report["answers"]
    lag = report.get("pipeline_lag_ms", {})
    return {
        "variant": name,
        "accepted/s": answers["accepted_per_s"],
        "p99 ms": answers["latency_ms"]["p99"],
        "lag p99 ms (postgres)": lag.get("postgres", {}).get("p99"),
        "lag p99 ms (board)": lag.get("leaderboard", {}).get("p99"),
        "freshness p99 ms": report.get("leaderboard", {}).get("freshness_ms", {}).get("p99"),
        "errors": answers.get("errors", {}),
        "cpu_us": cpu_us_per_answer(report),
        "clean": report.get("consistency", {}).get("clean"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=3000, help="answers per second offered")
    parser.add_argument("--duration", type=float, default=20, help="seconds of answers")
    args = parser.parse_args()
    questions = 10  # every player answers each question of the sample quiz
    players = max(1, int(args.rate * args.duration) // questions)
    load = ["--players", str(players), "--rate", str(args.rate), "--watchers", "10"]
    rows = []
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        cluster = stack.enter_context(EmbeddedCluster(tmp / "cluster"))
        for name, url, clustered in (
            ("one Valkey", redis_url, False),
            ("3-master cluster", cluster.url, True),
        ):
            db = database(pg_url, "cluster" if clustered else "single")
            with quizboard(url, db, tmp, redis_cluster=clustered) as target:
                rows.append(row(name, loadtest(target, *load)))
    for result in rows:
        print(f"\n{result['variant']}:")
        for key, value in result.items():
            if key not in ("variant", "cpu_us"):
                print(f"  {key:<24} {value}")
        costs = sorted(result["cpu_us"].items())
        print("  CPU-µs per accepted answer: " + ", ".join(f"{r} {us:,.0f}" for r, us in costs))
    one, spread = rows
    ratio = spread["accepted/s"] / max(one["accepted/s"], 1)
    print(f"\ncluster / one Valkey, accepted answers/s: {ratio:.2f}x")


if __name__ == "__main__":
    main()
