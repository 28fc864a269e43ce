"""Run 1 of BENCHMARKS.md: accepted answers/s on the answer route, side by side.

    uv run python scripts/bench_answers.py [--players 5000] [--rounds 2] [--baseline REV]
    uv run python scripts/bench_answers.py --kinds choice,multi,order,match
    uv run python scripts/bench_answers.py --teams 20 --rounds 3

Three servers on the same machine, one after another, each driven closed loop
at full speed by the same load (every player answers every question):
- the no-I/O route (scripts/noop_server.py): the ceiling of the stack;
- quizboard with coalescing on (the default);
- quizboard with coalescing off (QUIZBOARD_COALESCE=false).
Each quizboard runs with its workers, on an embedded Valkey and PostgreSQL.
With --baseline, quizboard as of that git revision runs too (coalescing on), so
a change is measured against what came before it in the same run.
With --kinds, quizboard runs once per kind of question instead (a quiz of ten
questions of that kind: loadkit's KIND_QUESTIONS), to compare what an answer of
each kind costs the API: its CPU per accepted answer, against the first kind's.
With --teams N, quizboard runs the sample quiz without teams and with N teams (every
player placed by the quiz: the accepting script looks at every team), in turn, to
measure what teams cost the accepting path: joins/s, answers/s and API CPU.
Prints throughput and latency, and the ratios that BENCHMARKS.md tracks.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.stack import checkout, database, loadtest, quizboard, script_server, servers


def per_kind(
    redis_url: str, pg_url: str, tmp: Path, kind: str
) -> AbstractContextManager[dict[str, str]]:
    """quizboard with a database of its own, for the quiz of one kind."""
    return quizboard(redis_url, database(pg_url, kind), tmp)


def valkey_cpu(client: redis.Redis) -> float:
    """The CPU seconds the Valkey server has used, user and system."""
    info: dict[str, Any] = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", help="also run quizboard as of this git revision")
    parser.add_argument("--kinds", help="compare these kinds of question, comma-separated")
    parser.add_argument("--teams", type=int, help="compare a quiz without teams and with N")
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
    joins_per_s: dict[str, list[float]] = {}
    valkey_us: dict[str, list[float]] = {}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        old = stack.enter_context(checkout(args.baseline, tmp)) if args.baseline else None
        for round_ in range(args.rounds):
            variants: dict[str, Callable[[], AbstractContextManager[dict[str, str]]]] = {
                "no-I/O route": lambda: script_server("noop_server.py"),
                "coalescing on": lambda: quizboard(redis_url, database(pg_url, "on"), tmp),
                "coalescing off": lambda: quizboard(
                    redis_url, database(pg_url, "off"), tmp, coalesce="false"
                ),
            }
            if old is not None:
                variants["baseline"] = lambda: quizboard(
                    redis_url, database(pg_url, "base"), tmp, source=old
                )
            kinds = args.kinds.split(",") if args.kinds else []
            if kinds:
                variants = {"no-I/O route": variants["no-I/O route"]}
                turn = round_ % len(kinds)  # each kind goes first in turn: no place favoured
                for kind in kinds[turn:] + kinds[:turn]:
                    variants[kind] = functools.partial(per_kind, redis_url, pg_url, tmp, kind)
            teamed = f"{args.teams} teams"
            if args.teams:
                variants = {"no-I/O route": variants["no-I/O route"]}
                pair = ["no teams", teamed][:: -1 if round_ % 2 else 1]  # each first in turn
                for name in pair:
                    variants[name] = functools.partial(per_kind, redis_url, pg_url, tmp,
                                                       name.replace(" ", "_"))  # fmt: skip
            for name, start in variants.items():
                valkey = redis.Redis.from_url(redis_url)
                valkey.flushall()
                cpu_before = valkey_cpu(valkey)
                with start() as target:
                    # Throughput only: the kit's lag and consistency reads name Redis keys
                    # as this checkout lays them out, which a baseline may not.
                    extra = ["--kind", name] if name in kinds else []
                    extra += ["--teams", str(args.teams)] if name == teamed else []
                    report = loadtest(
                        {"url": target["url"], "gateway": target["gateway"]}, *load, *extra
                    )
                joins_per_s.setdefault(name, []).append(report["joins"]["accepted_per_s"])
                events = report["joins"]["accepted"] + report["answers"]["accepted"]
                if events:  # Valkey's CPU (scripts, streams, boards) per event it took
                    valkey_us.setdefault(name, []).append(
                        1e6 * (valkey_cpu(valkey) - cpu_before) / events
                    )
                row = report["answers"]
                api = report.get("processes", {}).get("api", {}).get("cpu_percent")
                if api and row["accepted_per_s"]:
                    row["api_ms"] = 10 * api / row["accepted_per_s"]  # CPU ms per answer
                rows.setdefault(name, []).append(row)
                cost = f", API {row['api_ms']:.3f} ms CPU/answer" if "api_ms" in row else ""
                joined = ""
                if args.teams:
                    joined = f", {joins_per_s[name][-1]:,.0f} joins/s"
                    joined += f", Valkey {valkey_us[name][-1]:.1f} µs CPU/event"
                print(
                    f"round {round_ + 1} {name:>15}: {row['accepted_per_s']:>9,.0f} answers/s, "
                    f"p99 {row['latency_ms']['p99']} ms, errors {row['errors']}{cost}{joined}",
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
    if args.teams:
        plain = min(r["api_ms"] for r in rows["no teams"] if "api_ms" in r)
        teams = min(r["api_ms"] for r in rows[teamed] if "api_ms" in r)
        joins = max(joins_per_s[teamed]) / max(joins_per_s["no teams"])
        scripts = min(valkey_us[teamed]) / min(valkey_us["no teams"])
        print(
            f"{teamed} / no teams: joins/s {joins:.3f}x, "
            f"answers/s {best[teamed] / best['no teams']:.3f}x, "
            f"API CPU per answer {teams / plain:.3f}x, Valkey CPU per event {scripts:.3f}x"
        )
        return
    if kinds:
        first = kinds[0]
        cheapest = {k: min(r["api_ms"] for r in rows[k] if "api_ms" in r) for k in kinds}
        for kind in kinds[1:]:
            print(
                f"{kind} / {first}: throughput {best[kind] / best[first]:.3f}x, "
                f"API CPU per answer {cheapest[kind] / cheapest[first]:.3f}x"
            )
        return
    with contextlib.suppress(ZeroDivisionError):
        print(f"coalescing on / off:      {best['coalescing on'] / best['coalescing off']:.2f}x")
        print(f"coalescing on / no-I/O:   {best['coalescing on'] / best['no-I/O route']:.0%}")
        if "baseline" in best:
            print(f"coalescing on / baseline: {best['coalescing on'] / best['baseline']:.3f}x")


if __name__ == "__main__":
    main()
