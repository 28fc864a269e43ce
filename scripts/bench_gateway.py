"""Run 5 of BENCHMARKS.md: one gateway process fanning snapshots out to many clients.

    uv run python scripts/bench_gateway.py [--connections 10000] [--procs 4] [--seconds 20]
        [--target quizboard|node|both]

Starts quizboard on embedded servers, opens --connections WebSocket clients on
one quiz from --procs client processes, then publishes a leaderboard snapshot
(10 entries, about 1.5 KB) twice a second on the quiz's channel, stamped with
the time it was published. Every client notes when each one arrives. Prints the
publish-to-receipt latency, the gateway's CPU and its resident memory per
connection. ``--target node`` measures the Node peer instead (``ws`` and
node-redis, the way most Node developers would write it: one sharded
subscription, each message sent to every open client; installed with npm on
first use), and ``--target both`` runs the two one after the other, under the
same clients, in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.measure import percentiles
from loadkit.procstats import quizboard_processes, sample
from loadkit.stack import ADMIN, database, quizboard, servers

from quizboard.core.keys import Keys
from quizboard.local.embedded import free_port

SAMPLE = Path(__file__).parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"


def raise_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def clients(job: dict[str, Any]) -> dict[str, Any]:
    """A client process: open the connections, then record arrivals until told to stop."""
    import gc

    import uvloop
    from websockets.asyncio.client import connect

    raise_file_limit()

    async def main() -> dict[str, Any]:
        latencies: list[float] = []
        failures = 0
        opened = 0
        gate = asyncio.Semaphore(100)

        async def one() -> None:
            nonlocal failures, opened
            try:
                async with gate:
                    ws = await connect(
                        job["url"],
                        compression=None,
                        open_timeout=60,
                        ping_interval=None,
                        max_size=2**20,
                    )
                opened += 1
                async with ws:
                    await ws.recv()  # the snapshot sent on connect
                    # The client's own cost is part of what is timed, so keep it small:
                    # no timeout per message (the run ends by cancelling this task),
                    # and the stamp found by search rather than json.loads.
                    while True:
                        message = await ws.recv(decode=False)
                        stamp = message[message.rindex(b'"sent_at": ') + 11 : -1]
                        latencies.append(time.time() - float(stamp))
            except OSError:
                failures += 1
            except asyncio.CancelledError:
                pass  # the end of the run
            except Exception:  # a failed handshake or a dropped connection counts, not crashes
                failures += 1

        gc.freeze()
        tasks = [asyncio.create_task(one()) for _ in range(job["count"])]
        await asyncio.sleep(job["until"] - time.time())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks)
        return {"latencies": latencies, "failures": failures, "opened": opened}

    return uvloop.run(main())


def snapshot(quiz_id: int, version: int) -> str:
    entries = [
        {
            "rank": i + 1,
            "player_id": f"{i:08x}-0000-4000-8000-000000000000",
            "display_name": f"Player number {i}",
            "score": 1000 - 50 * i,
        }
        for i in range(10)
    ]
    return json.dumps(
        {
            "type": "leaderboard",
            "quiz_id": quiz_id,
            "version": version,
            "as_of": f"{int(time.time() * 1000)}-0",
            "total_players": 10_000,
            "entries": entries,
            "sent_at": time.time(),
        }
    )


PEER = Path(__file__).parent / "peers" / "node_gateway"


def node_peer(redis_url: str, channel: str) -> tuple[subprocess.Popen[bytes], str]:
    """The Node peer (``ws`` and node-redis, installed with npm on first use), started on
    a free port; its process and its URL."""
    if not (PEER / "node_modules").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=PEER, check=True)
    port = free_port()
    process = subprocess.Popen(
        ["node", "gateway.js", "--port", str(port), "--redis", redis_url, "--channel", channel],
        cwd=PEER, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    if b"listening" not in process.stdout.readline():
        process.kill()
        raise SystemExit("the Node peer did not start")
    return process, f"ws://127.0.0.1:{port}"


def measure(
    args: argparse.Namespace, url: str, pid: int, publisher: redis.Redis, channel: str,
    quiz_id: int,
) -> dict[str, float]:  # fmt: skip
    """Open the clients on ``url``, publish snapshots, and what the gateway ``pid`` did."""
    before = sample(pid)
    connect_for = max(5.0, args.connections / 300)
    until = time.time() + connect_for + args.seconds
    share = args.connections // args.procs
    jobs = [{"url": url, "count": share, "until": until} for _ in range(args.procs)]
    with ProcessPoolExecutor(args.procs) as pool:
        futures = [pool.submit(clients, job) for job in jobs]
        time.sleep(connect_for)  # let every client connect
        during = sample(pid)
        version, started = 0, time.time()
        while time.time() < until - 1.0:
            version += 1
            publisher.spublish(channel, snapshot(quiz_id, version))
            time.sleep(1 / args.rate)
        publishing = time.time() - started
        after = sample(pid)
        results = [f.result() for f in futures]
    latencies = [latency for r in results for latency in r["latencies"]]
    opened = sum(r["opened"] for r in results)
    stats = {k: round(v * 1000, 1) for k, v in percentiles(latencies).items() if k != "count"}
    if before is None or during is None or after is None:
        raise SystemExit(f"the gateway (pid {pid}) went away during the run")
    cpu = after.cpu_seconds - during.cpu_seconds
    grown = (during.rss_bytes - before.rss_bytes) / 1024
    return {
        "opened": opened,
        "failures": sum(r["failures"] for r in results),
        "published": version,
        "received": len(latencies),
        "expected": version * opened,
        "p50_ms": stats["p50"],
        "p99_ms": stats["p99"],
        "max_ms": stats["max"],
        "kb_per_connection": round(grown / max(1, opened), 1),
        "cpu_percent": round(100 * cpu / publishing, 1),
        "cpu_us_per_message": round(1e6 * cpu / max(1, len(latencies)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="snapshots per second")
    parser.add_argument(
        "--target", choices=("quizboard", "node", "both"), default="quizboard",
        help="quizboard's gateway, the Node peer (scripts/peers/node_gateway), or both, "
        "one after the other in this run",
    )  # fmt: skip
    args = parser.parse_args()
    raise_file_limit()
    rows: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers(Path(tmp)) as (redis_url, pg_url),
        quizboard(redis_url, database(pg_url, "gateway"), Path(tmp)) as target,
    ):
        import urllib.request

        spec = json.loads(SAMPLE.read_text())
        spec["available_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        spec["ends_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
        request = urllib.request.Request(
            target["url"] + "/quizzes",
            data=json.dumps(spec).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            created = json.loads(response.read())
        quiz_id, channel = created["id"], Keys("qb:").channel(created["partition"], created["id"])
        publisher = redis.Redis.from_url(redis_url)
        names = ("quizboard", "node") if args.target == "both" else (args.target,)
        for name in names:
            if name == "quizboard":
                gateway = next(p for p, role in quizboard_processes().items() if role == "gateway")
                url = f"{target['gateway']}/quizzes/{quiz_id}?token={ADMIN}"
                rows[name] = measure(args, url, gateway, publisher, channel, quiz_id)
                continue
            process, base = node_peer(redis_url, channel)
            try:
                url = f"{base}/quizzes/{quiz_id}"
                rows[name] = measure(args, url, process.pid, publisher, channel, quiz_id)
            finally:
                process.terminate()
                process.wait(10)
    for name, row in rows.items():
        print(
            f"{name:>9}: opened {row['opened']:,} of {args.connections:,} (failures "
            f"{row['failures']}), {row['received']:,} of {row['expected']:,} messages; "
            f"publish-to-receipt ms p50 {row['p50_ms']} p99 {row['p99_ms']} max {row['max_ms']}; "
            f"CPU {row['cpu_percent']}% of a core, {row['cpu_us_per_message']} us per message; "
            f"{row['kb_per_connection']} KB per connection"
        )
    if len(rows) == 2:
        ours, peer = rows["quizboard"], rows["node"]
        print(
            f"quizboard / node: p99 {ours['p99_ms'] / max(0.1, peer['p99_ms']):.2f}x, CPU per "
            f"message {ours['cpu_us_per_message'] / max(0.01, peer['cpu_us_per_message']):.2f}x, "
            f"memory per connection "
            f"{ours['kb_per_connection'] / max(0.1, peer['kb_per_connection']):.2f}x"
        )


if __name__ == "__main__":
    main()
