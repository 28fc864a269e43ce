"""The same answer load over a clean network and over a slow, lossy one, in one run.

    uv run python scripts/slownet.py [--rate 2000] [--seconds 30] [--delay-ms 50]
        [--jitter-ms 20] [--loss 0.01] [--json slownet.json]

starts embedded Valkey and PostgreSQL, then the API, the gateway and a worker of
each group as processes of their own. The API reaches Valkey, and the API and the
workers reach PostgreSQL, through links made slow and lossy between phases
(``quizboard/local/relay.py``: the kernel here has no netem, so they are user
space relays that hold each chunk as netem would hold its packets). Each phase runs
``loadtest.py`` at the same open-loop rate against a quiz of its own: first the
clean links, then the impaired ones, then the clean ones again.

It prints, per phase, the accepted rate, the answer latency, the lag to PostgreSQL
and to the board, the board's freshness and the consistency check, and the slow
phase's ratios to the clean ones. It exits 1 if an accepted answer is missing or
counted twice, or if a reply was a 5xx other than 503 (which carries Retry-After).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loadkit.stack import ADMIN, SECRET, database, env_with, loadtest, servers, stop, wait_http

from quizboard.local.embedded import free_port
from quizboard.local.relay import Impairment, Relay
from quizboard.streams.groups import GROUPS

LOOPBACK = ("127.0.0.1", 0)  # a free port


def through(url: str, link: Relay) -> str:
    """``url`` with its host and port replaced by the link's."""
    parts = urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return parts._replace(netloc=f"{credentials}127.0.0.1:{link.port}").geturl()


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 0


@contextlib.contextmanager
def system(redis_url: str, database_url: str, valkey_link: Relay, postgres_link: Relay,
           workdir: Path) -> Iterator[dict[str, str]]:  # fmt: skip
    """The API (Valkey and PostgreSQL through the links), the gateway (direct) and a
    worker of each group (PostgreSQL through its link); the loadtest's target."""
    api, gateway = free_port(), free_port()
    common = dict(admin_token=ADMIN, secret=SECRET, address_rate=0, player_rate=0,
                  data_dir=workdir / "data")  # fmt: skip
    slow_db = through(database_url, postgres_link)
    roles = {
        "api": (["api", "--port", str(api)],
                env_with(redis_url=through(redis_url, valkey_link), database_url=slow_db,
                         **common)),
        "gateway": (["gateway", "--port", str(gateway)],
                    env_with(redis_url=redis_url, database_url=database_url, **common)),
        **{group: (["worker", "--group", group],
                   env_with(redis_url=redis_url, database_url=slow_db, **common))
           for group in GROUPS},
    }  # fmt: skip
    started: list[subprocess.Popen[bytes]] = []
    try:
        for argv, env in roles.values():
            started.append(subprocess.Popen([sys.executable, "-m", "quizboard", *argv], env=env))
        wait_http(f"http://127.0.0.1:{api}/healthz")
        wait_http(f"http://127.0.0.1:{gateway}/healthz")
        yield {"url": f"http://127.0.0.1:{api}", "gateway": f"ws://127.0.0.1:{gateway}",
               "redis_url": redis_url, "database_url": database_url}  # fmt: skip
    finally:
        for process in started:
            stop(process)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """What a phase's loadtest report says, in the table's terms."""
    answers = report["answers"]
    lag = report.get("pipeline_lag_ms", {})
    consistency = report.get("consistency", {})
    return {
        "accepted_per_s": answers["accepted_per_s"],
        "sent": answers["sent"],
        "accepted": answers["accepted"],
        "p50_ms": answers["latency_ms"]["p50"],
        "p99_ms": answers["latency_ms"]["p99"],
        "errors": answers["errors"],
        "lag_postgres_p99_ms": lag.get("postgres", {}).get("p99"),
        "lag_board_p99_ms": lag.get("leaderboard", {}).get("p99"),
        "freshness_p99_ms": report["leaderboard"]["freshness_ms"].get("p99"),
        "consistent": bool(consistency.get("clean")),
        "consistency": consistency,
    }


def faults(name: str, row: dict[str, Any]) -> list[str]:
    found = []
    if not row["consistent"]:
        found.append(f"{name}: the consistency check failed: {row['consistency']}")
    for error in row["errors"]:
        status = int(error.split()[0])
        if status >= 500 and status != 503:
            found.append(f"{name}: {row['errors'][error]} replies {error}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000, help="answers a second")
    parser.add_argument("--seconds", type=float, default=30, help="of answers in each phase")
    parser.add_argument("--delay-ms", type=float, default=50)
    parser.add_argument("--jitter-ms", type=float, default=20)
    parser.add_argument("--loss", type=float, default=0.01, help="share of chunks lost")
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--connections", type=int, default=1024,
                        help="the generator's HTTP connections: players each have their own, "
                        "so a slow link must not queue them in the generator")  # fmt: skip
    parser.add_argument("--json", type=Path, help="write every phase's figures here")
    args = parser.parse_args()
    slow = Impairment(args.delay_ms / 1000, args.jitter_ms / 1000, args.loss)
    players = max(1, int(args.rate * args.seconds / 10))  # ten questions each
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with servers(workdir) as (redis_url, postgres_url):
            database_url = database(postgres_url, "slownet")
            with Relay(LOOPBACK, address(redis_url)) as valkey_link, \
                    Relay(LOOPBACK, address(database_url)) as postgres_link, \
                    system(redis_url, database_url, valkey_link, postgres_link,
                           workdir) as target:  # fmt: skip
                for phase, impairment in (("clean", Impairment()), ("slow", slow),
                                          ("clean again", Impairment())):  # fmt: skip
                    valkey_link.impairment = postgres_link.impairment = impairment
                    print(f"{phase}: {impairment.describe()}, {args.rate:.0f} answers/s "
                          f"for {args.seconds:.0f} s", flush=True)  # fmt: skip
                    report = loadtest(target, "--players", str(players), "--rate",
                                      str(args.rate), "--watchers", str(args.watchers),
                                      "--connections", str(args.connections))  # fmt: skip
                    rows[phase] = figures(report)
                    print("  " + json.dumps({k: v for k, v in rows[phase].items()
                                             if k != "consistency"}), flush=True)  # fmt: skip
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    found = [f for phase, row in rows.items() for f in faults(phase, row)]
    for fault in found:
        print(f"FAULT: {fault}")
    if found:
        raise SystemExit(1)


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    columns = [("accepted/s", "accepted_per_s"), ("p50 ms", "p50_ms"), ("p99 ms", "p99_ms"),
               ("lag to PG p99 ms", "lag_postgres_p99_ms"),
               ("lag to board p99 ms", "lag_board_p99_ms"),
               ("freshness p99 ms", "freshness_p99_ms")]  # fmt: skip
    print("\n| phase | " + " | ".join(name for name, _ in columns) + " | errors | consistent |")
    print("|---" * (len(columns) + 3) + "|")
    for phase, row in rows.items():
        cells = [str(row[key]) for _, key in columns]
        errors = ", ".join(f"{k}: {v}" for k, v in row["errors"].items()) or "none"
        print(f"| {phase} | " + " | ".join(cells) + f" | {errors} | {row['consistent']} |")
    clean, slow = rows.get("clean"), rows.get("slow")
    if clean and slow:
        ratios = []
        for name, key in columns:
            if clean[key] and slow[key] is not None:
                ratios.append(f"{name} x{slow[key] / clean[key]:.2f}")
        print("\nslow / clean: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
