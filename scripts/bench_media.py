"""The media route: a picture served from the API process's cache, and the 304 a
browser's revalidation gets, against the no-I/O route, in the same run.

    uv run python scripts/bench_media.py [--seconds 8] [--connections 64] [--rounds 2]

quizboard runs (``quizboard up``) on an embedded Valkey and PostgreSQL, with one
picture uploaded (a real PNG of about --size bytes). Then, closed loop at full
speed, one after another:
- the no-I/O route (scripts/noop_server.py's ``GET /healthz``): the stack's ceiling;
- quizboard's own ``GET /healthz`` (no I/O either, through quizboard's middleware);
- ``GET /media/{id}``: the picture, from the process's memory after the first read;
- ``GET /media/{id}`` with ``If-None-Match``: a 304 with no body and no read.
Prints requests/s, p50 and p99, and each against the no-I/O route.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.httpclient import HttpClient
from loadkit.stack import ADMIN, database, quizboard, script_server, servers
from loadkit.target import noisy_png


def upload(url: str, data: bytes) -> str:
    request = urllib.request.Request(
        f"{url}/media", data=data, method="POST", headers={"Authorization": f"Bearer {ADMIN}"}
    )
    with urllib.request.urlopen(request) as reply:
        media_id: str = json.loads(reply.read())["id"]
        return media_id


async def drive(url: str, path: str, headers: dict[str, str] | None, seconds: float,
                connections: int) -> dict[str, Any]:  # fmt: skip
    """Closed loop: ``connections`` requests in flight for ``seconds``."""
    client = HttpClient(url, connections)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    end = time.monotonic() + seconds

    async def loop() -> None:
        while time.monotonic() < end:
            started = time.perf_counter()
            status, _ = await client.request("GET", path, headers=headers)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(connections)))
    wall = time.monotonic() - began
    client.close()
    cuts = statistics.quantiles(latencies, n=100)
    return {"per_s": len(latencies) / wall, "p50": cuts[49] * 1000, "p99": cuts[98] * 1000,
            "statuses": statuses}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=50_000, help="the picture's bytes")
    args = parser.parse_args()
    rows: dict[str, list[dict[str, Any]]] = {}

    def run(name: str, url: str, path: str, headers: dict[str, str] | None = None) -> None:
        row = asyncio.run(drive(url, path, headers, args.seconds, args.connections))
        rows.setdefault(name, []).append(row)
        print(f"{name:>28}: {row['per_s']:>8,.0f} req/s, p50 {row['p50']:.2f} ms, "
              f"p99 {row['p99']:.2f} ms, statuses {row['statuses']}", flush=True)  # fmt: skip

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        noop = stack.enter_context(script_server("noop_server.py"))
        target = stack.enter_context(quizboard(redis_url, database(pg_url, "media"), tmp))
        picture = noisy_png(args.size)
        media_id = upload(target["url"], picture)
        print(f"picture: {len(picture):,} bytes, id {media_id[:12]}…", flush=True)
        etag = {"If-None-Match": f'"{media_id}"'}
        for _ in range(args.rounds):
            run("no-I/O route (noop /healthz)", noop["url"], "/healthz")
            run("quizboard /healthz", target["url"], "/healthz")
            run("media 200 (cached)", target["url"], f"/media/{media_id}")
            run("media 304 (If-None-Match)", target["url"], f"/media/{media_id}", etag)
    best = {name: max(r["per_s"] for r in runs) for name, runs in rows.items()}
    ceiling = best["no-I/O route (noop /healthz)"]
    print()
    for name, per_s in best.items():
        print(f"{name:>28}: {per_s:>8,.0f} req/s, {per_s / ceiling:.2f}x the no-I/O route")


if __name__ == "__main__":
    main()
