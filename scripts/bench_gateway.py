"""Run 5 of BENCHMARKS.md: one gateway process fanning snapshots out to many clients.

    uv run python scripts/bench_gateway.py [--connections 10000] [--procs 4] [--seconds 20]
        [--target quizboard|standings|node|both|all]

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

``--target standings`` is quizboard's gateway with a standing per player: as
many players as connections join the quiz, each client watches with its own
player token, and before each snapshot every player's score moves (one ZADD of
the whole board), so every standing changes and every player gets its own with the
snapshot, as at the close of a question. The latency is still the snapshot's,
which a player now gets in one write with its standing. ``--target all`` runs
quizboard without standings, with them, and the Node peer, in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.httpclient import HttpClient
from loadkit.measure import percentiles
from loadkit.procstats import quizboard_processes, sample
from loadkit.stack import ADMIN, database, quizboard, servers
from loadkit.target import sample_quiz

from quizboard.core.keys import Keys
from quizboard.local.embedded import free_port


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

        standings = 0

        async def one(url: str) -> None:
            nonlocal failures, opened, standings
            try:
                async with gate:
                    ws = await connect(
                        url,
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
                        at = message.rfind(b'"sent_at": ')
                        if at < 0:  # a player's own standing
                            standings += 1
                            continue
                        latencies.append(time.time() - float(message[at + 11 : -1]))
            except OSError:
                failures += 1
            except asyncio.CancelledError:
                pass  # the end of the run
            except Exception:  # a failed handshake or a dropped connection counts, not crashes
                failures += 1

        gc.freeze()
        tasks = [asyncio.create_task(one(url)) for url in job["urls"]]
        await asyncio.sleep(job["until"] - time.time())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks)
        return {
            "latencies": latencies, "failures": failures, "opened": opened,
            "standings": standings,
        }  # fmt: skip

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

#: What each --target runs, in order.
TARGETS = {
    "quizboard": ("quizboard",),
    "standings": ("standings",),
    "node": ("node",),
    "both": ("quizboard", "node"),
    "all": ("quizboard", "standings", "node"),
}


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


def move_scores(publisher: redis.Redis, quiz: Quiz) -> None:
    """Give every player new points, so that every standing changes: one ZADD of the
    whole board, which costs Valkey and this process far less than a ZINCRBY each."""
    step = quiz.version * 104729
    quiz.scores = [score + (i * 7919 + step) % 1000 for i, score in enumerate(quiz.scores)]
    publisher.zadd(quiz.board, dict(zip(quiz.players, quiz.scores, strict=True)))


def measure(
    args: argparse.Namespace, urls: list[str], pid: int, publisher: redis.Redis,
    quiz: Quiz,
) -> dict[str, float]:  # fmt: skip
    """Open a client on each of ``urls``, publish snapshots, and what the gateway ``pid``
    did. With the quiz's players given, their scores move before each snapshot."""
    before = sample(pid)
    connect_for = max(5.0, len(urls) / 300)
    until = time.time() + connect_for + args.seconds
    jobs = [{"urls": urls[i :: args.procs], "until": until} for i in range(args.procs)]
    with ProcessPoolExecutor(args.procs) as pool:
        futures = [pool.submit(clients, job) for job in jobs]
        time.sleep(connect_for)  # let every client connect
        during = sample(pid)
        published, started = 0, time.time()
        while time.time() < until - 1.0:
            # Versions go on from the run before: a room still open from it would drop
            # a snapshot older than its last as overtaken.
            quiz.version += 1
            published += 1
            due = time.time() + 1 / args.rate
            if quiz.moving:
                move_scores(publisher, quiz)
            publisher.spublish(quiz.channel, snapshot(quiz.id, quiz.version))
            time.sleep(max(0.0, due - time.time()))
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
        "standings": sum(r["standings"] for r in results),
        "published": published,
        "received": len(latencies),
        "expected": published * opened,
        "p50_ms": stats["p50"],
        "p99_ms": stats["p99"],
        "max_ms": stats["max"],
        "kb_per_connection": round(grown / max(1, opened), 1),
        "cpu_percent": round(100 * cpu / publishing, 1),
        "cpu_us_per_message": round(1e6 * cpu / max(1, len(latencies)), 2),
    }


@dataclass
class Quiz:
    """The benchmark's quiz: where its snapshots go, and its players when it has some."""

    id: int
    channel: str
    board: str
    players: list[str] = field(default_factory=list)
    scores: list[int] = field(default_factory=list)  # the players', as last set
    tokens: list[str] = field(default_factory=list)
    moving: bool = False  # move every player's score before each snapshot
    version: int = 0  # of the last snapshot published


def create_quiz(api_url: str) -> Quiz:
    request = urllib.request.Request(
        api_url + "/quizzes",
        data=json.dumps(sample_quiz()).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        created = json.loads(response.read())
    keys = Keys("qb:")
    partition, quiz_id = created["partition"], created["id"]
    return Quiz(
        quiz_id, keys.channel(partition, quiz_id), keys.quiz(partition, quiz_id).leaderboard
    )


def join_players(api_url: str, quiz: Quiz, count: int, publisher: redis.Redis) -> None:
    """``count`` players join over the API; returns once all are on the board."""

    async def join_all() -> None:
        client = HttpClient(api_url, connections=32)
        gate = asyncio.Semaphore(64)

        async def one(i: int) -> None:
            body = json.dumps({"display_name": f"Bench {i}"}).encode()
            async with gate:
                status, reply = await client.request("POST", f"/quizzes/{quiz.id}/join", body)
            if status != 202:
                raise SystemExit(f"a join failed: {status} {reply[:200]!r}")
            joined = json.loads(reply)
            quiz.players.append(joined["player_id"])
            quiz.scores.append(0)
            quiz.tokens.append(joined["token"])

        await asyncio.gather(*(one(i) for i in range(count)))
        client.close()

    asyncio.run(join_all())
    deadline = time.time() + 120
    while int(publisher.zcard(quiz.board)) < count:
        if time.time() > deadline:
            raise SystemExit("the joins did not reach the board within 120 s")
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=2.0, help="snapshots per second")
    parser.add_argument(
        "--target", choices=tuple(TARGETS), default="quizboard",
        help="quizboard's gateway, the same with a standing per player, the Node peer "
        "(scripts/peers/node_gateway), or several of them, one after the other in this run",
    )  # fmt: skip
    args = parser.parse_args()
    raise_file_limit()
    rows: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers(Path(tmp)) as (redis_url, pg_url),
        quizboard(redis_url, database(pg_url, "gateway"), Path(tmp)) as target,
    ):
        publisher = redis.Redis.from_url(redis_url)
        quiz = create_quiz(target["url"])
        gateway = next(p for p, role in quizboard_processes().items() if role == "gateway")
        base = f"{target['gateway']}/quizzes/{quiz.id}"
        measured_gateway = False
        for name in TARGETS[args.target]:
            if name == "quizboard":
                rows[name] = measure(args, [f"{base}?token={ADMIN}"] * args.connections,
                                     gateway, publisher, quiz)  # fmt: skip
                measured_gateway = True
            elif name == "standings":
                if not quiz.tokens:
                    join_players(target["url"], quiz, args.connections, publisher)
                urls = [f"{base}?token={token}" for token in quiz.tokens]
                quiz.moving = True
                rows[name] = measure(args, urls, gateway, publisher, quiz)
                quiz.moving = False
                if measured_gateway:
                    # The process keeps the memory the run before grew: its growth
                    # here is not what a connection costs.
                    rows[name]["kb_per_connection"] = math.nan
            else:
                process, peer_url = node_peer(redis_url, quiz.channel)
                try:
                    urls = [f"{peer_url}/quizzes/{quiz.id}"] * args.connections
                    rows[name] = measure(args, urls, process.pid, publisher, quiz)
                finally:
                    process.terminate()
                    process.wait(10)
    for name, row in rows.items():
        print(
            f"{name:>9}: opened {row['opened']:,} of {args.connections:,} (failures "
            f"{row['failures']}), {row['received']:,} of {row['expected']:,} messages; "
            f"publish-to-receipt ms p50 {row['p50_ms']} p99 {row['p99_ms']} max {row['max_ms']}; "
            f"CPU {row['cpu_percent']}% of a core, {row['cpu_us_per_message']} us per message"
            + _memory(row["kb_per_connection"])
            + (f"; {row['standings']:,} standings" if row["standings"] else "")
        )
    for name in ("quizboard", "standings"):
        if name not in rows or "node" not in rows:
            continue
        ours, peer = rows[name], rows["node"]
        memory = ours["kb_per_connection"] / max(0.1, peer["kb_per_connection"])
        print(
            f"{name} / node: p99 {ours['p99_ms'] / max(0.1, peer['p99_ms']):.2f}x, CPU per "
            f"message {ours['cpu_us_per_message'] / max(0.01, peer['cpu_us_per_message']):.2f}x"
            + ("" if math.isnan(memory) else f", memory per connection {memory:.2f}x")
        )


def _memory(kb: float) -> str:
    if math.isnan(kb):
        return "; memory: see the run before (the same process)"
    return f"; {kb} KB per connection"


if __name__ == "__main__":
    main()
