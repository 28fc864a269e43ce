"""The join burst of run 3 of BENCHMARKS.md, this checkout against an earlier revision.

    uv run python scripts/bench_joins.py --baseline REV [--players 20000] [--rate 10000] \
        [--rounds 2]

Both run as ``quizboard up`` with their workers on the same embedded Valkey and
PostgreSQL (a database each), one after the other and alternating each round,
so the machine's noise falls on both. Each gets the same burst: --players joins
fired at --rate per second. Prints each run, then the best of each and their
ratio: a change is measured against what came before it in the same run.
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

from loadkit.stack import checkout, database, loadtest, quizboard, servers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", required=True, help="the git revision to measure against")
    parser.add_argument("--players", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    load = ["--players", str(args.players), "--join-rate", str(args.rate), "--joins-only",
            "--connections", str(args.connections), "--watchers", "0"]  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = {"this checkout": [], "baseline": []}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        sources = {
            "this checkout": None,
            "baseline": stack.enter_context(checkout(args.baseline, tmp)),
        }
        for round_ in range(args.rounds):
            for name, source in sources.items():
                redis.Redis.from_url(redis_url).flushall()
                db = database(pg_url, f"joins{round_}{'b' if source else 'h'}")
                with quizboard(redis_url, db, tmp, source=source) as target:
                    # Throughput only, as bench_answers: a baseline may lay its keys out otherwise.
                    report = loadtest({"url": target["url"], "gateway": target["gateway"]}, *load)
                row = report["joins"]
                runs[name].append(row)
                print(
                    f"round {round_ + 1} {name:>13}: {row['accepted_per_s']:>7,.0f} joins/s, "
                    f"p50 {row['latency_ms']['p50']} ms, p99 {row['latency_ms']['p99']} ms, "
                    f"errors {row['errors']}",
                    flush=True,
                )
    best = {name: max(rows, key=lambda r: r["accepted_per_s"]) for name, rows in runs.items()}
    print()
    for name, row in best.items():
        print(f"best {name:>13}: {row['accepted_per_s']:>7,.0f} joins/s, "
              f"p99 {row['latency_ms']['p99']} ms")  # fmt: skip
    ratio = best["this checkout"]["accepted_per_s"] / best["baseline"]["accepted_per_s"]
    print(f"this checkout / baseline: {ratio:.2f}x")


if __name__ == "__main__":
    main()
