"""Run 5 of BENCHMARKS.md: one gateway process fanning snapshots out to many clients.

    uv run python scripts/bench_gateway.py [--connections 10000] [--procs 4] [--seconds 20]

Starts quizboard on embedded servers, opens --connections WebSocket clients on
one quiz from --procs client processes, then publishes a leaderboard snapshot
(10 entries, about 1.5 KB) twice a second on the quiz's channel, stamped with
the time it was published. Every client notes when each one arrives. Prints the
publish-to-receipt latency and the gateway's resident memory per connection.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="snapshots per second")
    args = parser.parse_args()
    raise_file_limit()
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
        gateway = next(p for p, role in quizboard_processes().items() if role == "gateway")
        before = sample(gateway)
        connect_for = max(5.0, args.connections / 300)
        until = time.time() + connect_for + args.seconds
        url = f"{target['gateway']}/quizzes/{quiz_id}?token={ADMIN}"
        share = args.connections // args.procs
        jobs = [{"url": url, "count": share, "until": until} for _ in range(args.procs)]
        publisher = redis.Redis.from_url(redis_url)
        with ProcessPoolExecutor(args.procs) as pool:
            futures = [pool.submit(clients, job) for job in jobs]
            time.sleep(connect_for)  # let every client connect
            during = sample(gateway)
            cpu_before = during.cpu_seconds if during else 0.0
            version = 0
            started = time.time()
            while time.time() < until - 1.0:
                version += 1
                publisher.spublish(channel, snapshot(quiz_id, version))
                time.sleep(1 / args.rate)
            publishing = time.time() - started
            after = sample(gateway)
            results = [f.result() for f in futures]
    latencies = [latency for r in results for latency in r["latencies"]]
    opened = sum(r["opened"] for r in results)
    failures = sum(r["failures"] for r in results)
    stats = {k: round(v * 1000, 1) for k, v in percentiles(latencies).items() if k != "count"}
    print(f"connections opened: {opened} of {args.connections}, failures {failures}")
    print(
        f"snapshots published: {version} at {args.rate}/s; messages received: {len(latencies)} "
        f"(expected {version * opened})"
    )
    print(
        f"publish-to-receipt ms: p50 {stats['p50']}  p95 {stats['p95']}  p99 {stats['p99']}  "
        f"max {stats['max']}"
    )
    if before and during and after:
        per_connection = (during.rss_bytes - before.rss_bytes) / max(1, opened)
        print(
            f"gateway RSS: {before.rss_bytes / 2**20:.1f} MB idle, {during.rss_bytes / 2**20:.1f} "
            f"MB with the clients: {per_connection / 1024:.1f} KB per connection"
        )
        print(
            f"gateway CPU while publishing: "
            f"{100 * (after.cpu_seconds - cpu_before) / publishing:.1f}% of a core"
        )


if __name__ == "__main__":
    main()
