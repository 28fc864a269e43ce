"""Run 1 of BENCHMARKS.md: accepted answers/s on the answer route, side by side.

    uv run python scripts/bench_answers.py [--players 5000] [--rounds 2]

Three servers on the same machine, one after another, each driven closed loop
at full speed by the same load (every player answers every question):
- the no-I/O route (scripts/noop_server.py): the ceiling of the stack;
- quizboard with coalescing on (the default);
- quizboard with coalescing off (QUIZBOARD_COALESCE=false).
Each quizboard runs with its workers, on an embedded Valkey and PostgreSQL.
Prints throughput and latency, and the ratios that BENCHMARKS.md tracks.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.stack import database, loadtest, quizboard, script_server, servers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    load = [
        "--players",
        str(args.players),
        "--watchers",
        "0",
        "--connections",
        str(args.connections),
    ]
    rows: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as (redis_url, pg_url):
        for round_ in range(args.rounds):
            variants = {
                "no-I/O route": lambda: script_server("noop_server.py"),
                "coalescing on": lambda: quizboard(redis_url, database(pg_url, "on"), Path(tmp)),
                "coalescing off": lambda: quizboard(
                    redis_url, database(pg_url, "off"), Path(tmp), coalesce="false"
                ),
            }
            for name, start in variants.items():
                redis.Redis.from_url(redis_url).flushall()
                with start() as target:
                    report = loadtest(target, *load)
                row = report["answers"]
                rows.setdefault(name, []).append(row)
                print(
                    f"round {round_ + 1} {name:>15}: {row['accepted_per_s']:>9,.0f} answers/s, "
                    f"p99 {row['latency_ms']['p99']} ms, errors {row['errors']}",
                    flush=True,
                )
    best = {name: max(r["accepted_per_s"] for r in runs) for name, runs in rows.items()}
    print()
    print(f"{'':>16} {'answers/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for name, runs in rows.items():
        top = max(runs, key=lambda r: r["accepted_per_s"])
        print(
            f"{name:>16} {top['accepted_per_s']:>10,.0f} {top['latency_ms']['p50']:>8} "
            f"{top['latency_ms']['p99']:>8}"
        )
    with contextlib.suppress(ZeroDivisionError):
        print(f"coalescing on / off:      {best['coalescing on'] / best['coalescing off']:.2f}x")
        print(f"coalescing on / no-I/O:   {best['coalescing on'] / best['no-I/O route']:.0%}")


if __name__ == "__main__":
    main()
