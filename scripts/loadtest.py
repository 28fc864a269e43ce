"""Drive a running quizboard the way thousands of players would, and report what happened.

    uv run python scripts/loadtest.py --url http://127.0.0.1:8000 --admin-token T \\
        --gateway ws://127.0.0.1:8001 --redis-url redis://... --database-url postgresql://... \\
        --players 5000 --rate 5000 --watchers 10

Phases: create a quiz (or use --quiz), a join burst of --players, then an answer
phase in which every player answers every question once: open loop at --rate
answers/s (the schedule does not wait for the server), or closed loop with
--think seconds between a player's answers. --watchers WebSocket clients watch
the leaderboard throughout. With the Redis and PostgreSQL URLs the report adds
pipeline lag, leaderboard freshness and a consistency check.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg
import redis.asyncio as aioredis
from loadkit.httpclient import HttpClient
from loadkit.measure import first_covering, percentiles, stream_id, timeline
from loadkit.observers import Client, GroupProgress, Watchers
from loadkit.players import Phase, closed_loop, open_loop, run_answer_share
from loadkit.procstats import Sample, quizboard_processes, sample
from loadkit.report import render, warnings_for
from loadkit.target import KIND_QUESTIONS, add_target_arguments, sample_quiz
from redis.asyncio.cluster import RedisCluster
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.text import Text

from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.streams.groups import readers

DRAIN_TIMEOUT = 120.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_target_arguments(parser)
    parser.add_argument("--redis-url", default=os.environ.get("QUIZBOARD_REDIS_URL"))
    parser.add_argument(
        "--redis-cluster", action="store_true", help="the Redis URL names a node of a cluster"
    )
    parser.add_argument("--key-prefix", default="qb:")
    parser.add_argument("--quiz", type=int, help="use this quiz instead of creating one")
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument(
        "--kind",
        choices=sorted(KIND_QUESTIONS),
        help="a quiz of ten questions of this kind (default: the sample quiz)",
    )
    parser.add_argument(
        "--teams",
        type=int,
        default=0,
        help="a team quiz of this many teams, each player placed by the quiz (as the play "
        "page's join with no team picked)",
    )
    parser.add_argument(
        "--join-rate",
        type=float,
        default=0.0,
        help="joins/s, open loop (default: as fast as --connections allow)",
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="answers/s, open loop; 0 for closed loop"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="closed loop: mean seconds between a player's answers",
    )
    parser.add_argument(
        "--questions", type=int, default=0, help="answer only the first N questions (default: all)"
    )
    parser.add_argument("--joins-only", action="store_true", help="stop after the join burst")
    parser.add_argument("--watchers", type=int, default=5)
    parser.add_argument("--connections", type=int, default=256, help="HTTP connections per process")
    parser.add_argument("--procs", type=int, default=1, help="generator processes for answers")
    parser.add_argument("--json", help="write the report as JSON to this file ('-': stdout)")
    parser.add_argument(
        "--plot",
        help="write a PNG chart of throughput and latency (needs matplotlib: uv sync --extra plot)",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


class Rate(ProgressColumn):
    """Requests per second over the phase so far."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.completed / max(task.elapsed or 0.0, 0.001):,.0f}/s")


class Progress:
    """A progress bar per phase on stderr, drawn by rich.

    ``tick()`` runs once per request of the load, so it only counts; :meth:`run`
    hands the count to rich four times a second.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.sent = 0
        self._bars = RichProgress(
            TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), Rate(),
            TimeElapsedColumn(), console=Console(stderr=True), auto_refresh=False,
        )  # fmt: skip
        self._task: TaskID | None = None

    def phase(self, label: str, total: int) -> None:
        self._update()
        self.sent = 0
        self._task = self._bars.add_task(label, total=total)

    def tick(self) -> None:
        self.sent += 1

    def _update(self) -> None:
        if self._task is not None:
            self._bars.update(self._task, completed=self.sent)
        self._bars.refresh()

    async def run(self, stop: asyncio.Event) -> None:
        if not self.enabled:
            return
        with self._bars:
            while not stop.is_set():
                self._update()
                await asyncio.sleep(0.25)
            self._update()


async def setup_quiz(args: argparse.Namespace, client: HttpClient) -> dict[str, Any]:
    if args.quiz:
        status, body = await client.request("GET", f"/quizzes/{args.quiz}")
        if status != 200:
            raise SystemExit(f"quiz {args.quiz}: HTTP {status} {body[:200]!r}")
        quiz: dict[str, Any] = json.loads(body)
    else:
        spec = sample_quiz(args.kind)
        if args.teams:
            spec["teams"] = [f"Team {n}" for n in range(1, args.teams + 1)]
        status, body = await client.request(
            "POST", "/quizzes", json.dumps(spec).encode(), args.admin_token
        )
        if status != 201:
            raise SystemExit(f"could not create a quiz: HTTP {status} {body[:300]!r}")
        quiz = json.loads(body)
    if args.questions:
        quiz["questions"] = quiz["questions"][: args.questions]
    return quiz


async def partition_of(
    args: argparse.Namespace, redis: Client | None, quiz: dict[str, Any]
) -> int | None:
    if "partition" in quiz:
        return int(quiz["partition"])
    if redis is None:
        return None
    raw = await redis.get(f"{args.key_prefix}quiz:{quiz['id']}")
    return int(json.loads(raw)["partition"]) if raw else None


async def join_all(
    args: argparse.Namespace, client: HttpClient, quiz: dict[str, Any], progress: Progress
) -> tuple[Phase, list[dict[str, Any]]]:
    path = f"/quizzes/{quiz['id']}/join"
    jobs: list[tuple[str, bytes, str | None]] = [
        (path, json.dumps({"display_name": f"load {i}"}).encode(), None)
        for i in range(args.players)
    ]
    progress.phase("joins", len(jobs))
    replies: list[dict[str, Any]] = []
    original = client.request

    async def recording(
        method: str,
        path: str,
        body: bytes = b"",
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        status, reply = await original(method, path, body, token, headers)
        if status == 202:
            replies.append(json.loads(reply))
        return status, reply

    client.request = recording  # type: ignore[method-assign]
    try:
        if args.join_rate:
            phase = await open_loop(jobs, args.join_rate, client, progress.tick)
        else:
            phase = await closed_loop([[job] for job in jobs], 0.0, client, progress.tick)
    finally:
        client.request = original  # type: ignore[method-assign]
    return phase, replies


async def answer_all(
    args: argparse.Namespace,
    client: HttpClient,
    quiz: dict[str, Any],
    players: list[dict[str, Any]],
    progress: Progress,
) -> Phase:
    total = len(players) * len(quiz["questions"])
    progress.phase("answers", total)
    if args.procs <= 1:
        from loadkit.players import answer_jobs, interleave

        jobs = answer_jobs(quiz, players, args.seed)
        if args.rate:
            return await open_loop(interleave(jobs), args.rate, client, progress.tick)
        return await closed_loop(jobs, args.think, client, progress.tick)
    start_at = time.time() + 1.0
    shares = [players[i :: args.procs] for i in range(args.procs)]
    work = [
        {
            "url": args.url,
            "connections": args.connections,
            "quiz": quiz,
            "players": share,
            "seed": args.seed + i,
            "rate": args.rate / args.procs,
            "think": args.think,
            "start_at": start_at,
        }
        for i, share in enumerate(shares)
    ]
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(args.procs) as pool:
        phases = await asyncio.gather(
            *[loop.run_in_executor(pool, run_answer_share, w) for w in work]
        )
    merged = Phase()
    for phase in phases:
        merged.merge(phase)
    progress.sent = total
    return merged


async def wait_drained(progress: GroupProgress, last_event: str) -> bool:
    wanted = stream_id(last_event)
    deadline = time.monotonic() + DRAIN_TIMEOUT
    while time.monotonic() < deadline:
        covered = await progress.poll()
        if len(covered) == len(progress.groups) and all(c >= wanted for c in covered.values()):
            return True
        await asyncio.sleep(0.05)
    return False


async def consistency(
    args: argparse.Namespace,
    board_key: str | None,
    redis: Client | None,
    quiz: dict[str, Any],
    accepted: list[tuple[float, str, int]],
    joins: int,
) -> dict[str, Any]:
    """Compare what the API accepted with PostgreSQL and, given Redis, the sorted set."""
    async with await psycopg.AsyncConnection.connect(args.database_url) as db:
        cursor = await db.execute(
            "SELECT count(*), coalesce(sum(points), 0) FROM user_answer WHERE quiz_id = %s",
            (quiz["id"],),
        )
        rows, points = await cursor.fetchone() or (0, 0)
        cursor = await db.execute(
            "SELECT count(*) FROM user_quiz WHERE quiz_id = %s", (quiz["id"],)
        )
        joined = (await cursor.fetchone() or (0,))[0]
    accepted_points = sum(points for _, _, points in accepted)
    result: dict[str, Any] = {
        "answers_accepted": len(accepted),
        "answer_rows": int(rows),
        "points_accepted": accepted_points,
        "points_in_postgres": int(points),
        "joins_accepted": joins,
        "players_in_postgres": int(joined),
    }
    clean = (
        result["answer_rows"] == result["answers_accepted"]
        and result["points_in_postgres"] == accepted_points
        and result["players_in_postgres"] == joins
    )
    if redis is not None and board_key is not None:
        deadline = time.monotonic() + 30
        # joins-redis may still be catching up: poll, there is nothing to await.
        while await redis.zcard(board_key) < joins and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        board: Any = await redis.zrange(board_key, 0, -1, withscores=True)
        result["points_on_board"] = int(sum(score for _, score in board))
        result["total_players"] = len(board)
        clean = clean and result["points_on_board"] == accepted_points
        clean = clean and result["total_players"] == joins
    result["clean"] = clean
    return result


async def joins_stored_after(redis: Client, stream: str) -> float | None:
    """Seconds until ``joins-db`` and ``joins-redis`` have applied the whole joins stream."""
    started = time.monotonic()
    last = await redis.xinfo_stream(stream)
    wanted = stream_id(last["last-generated-id"].decode())
    progress = GroupProgress(redis, stream, readers(JOINS))
    progress.observations = {g: [] for g in progress.groups}
    if not await wait_drained(progress, "-".join(map(str, wanted))):
        return None
    return time.monotonic() - started


def summarize_phase(phase: Phase) -> dict[str, Any]:
    duration = max(0.001, phase.ended - phase.started)
    ok = [o for o in phase.outcomes if o[2] in (200, 201, 202)]
    errors: dict[str, int] = {}
    for _, _, status, code, _, _ in phase.outcomes:
        if status not in (200, 201, 202):
            key = f"{status} {code}"
            errors[key] = errors.get(key, 0) + 1
    return {
        "sent": len(phase.outcomes),
        "accepted": len(ok),
        "duration_s": round(duration, 3),
        "accepted_per_s": round(len(ok) / duration, 1),
        "latency_ms": {
            k: (round(v * 1000, 2) if k != "count" else v)
            for k, v in percentiles([o[1] for o in ok]).items()
        },
        "errors": errors,
        "generator_cpu_s": round(phase.cpu_seconds, 2),
        "late_sends": phase.behind,
        "per_second": timeline([o[0] for o in ok], phase.started),
        "p99_ms_per_second": p99_per_second(ok, phase.started),
    }


def p99_per_second(outcomes: list[Any], start: float) -> list[float]:
    """The p99 latency (ms) of the responses that arrived in each second."""
    buckets: dict[int, list[float]] = {}
    for arrived, latency, *_ in outcomes:
        buckets.setdefault(int(arrived - start), []).append(latency)
    return [
        round(percentiles(buckets.get(i, []))["p99"] * 1000, 1)
        for i in range(max(buckets, default=-1) + 1)
    ]


def ms(values: list[float]) -> dict[str, float]:
    return {k: (round(v * 1000, 1) if k != "count" else v) for k, v in percentiles(values).items()}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    client = HttpClient(args.url, args.connections)
    redis: Client | None = None
    if args.redis_url:
        redis = (
            RedisCluster.from_url(args.redis_url)
            if args.redis_cluster
            else aioredis.Redis.from_url(args.redis_url)
        )
    stop = asyncio.Event()
    progress = Progress(not args.no_progress and sys.stderr.isatty())
    report: dict[str, Any] = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("admin_token",)}
    }
    report["settings"].pop("database_url", None)
    tasks: list[asyncio.Task[Any]] = [asyncio.create_task(progress.run(stop), name="progress")]
    try:
        quiz = await setup_quiz(args, client)
        report["quiz_id"] = quiz["id"]
        partition = await partition_of(args, redis, quiz)
        joins, players = await join_all(args, client, quiz, progress)
        report["joins"] = summarize_phase(joins)
        if not players:
            raise SystemExit("no player could join; see the errors above")
        keys = Keys(args.key_prefix)
        board = keys.quiz(partition, quiz["id"]).leaderboard if partition is not None else None
        if redis is not None and partition is not None:
            report["joins"]["stored_after_s"] = await joins_stored_after(
                redis, keys.stream(partition, JOINS)
            )
        if args.joins_only:
            if args.database_url:
                report["consistency"] = await consistency(
                    args, board, redis, quiz, [], len(players)
                )
            report["warnings"] = warnings_for(report)
            return report

        watchers = Watchers(
            f"{args.gateway}/quizzes/{quiz['id']}?token={args.admin_token}", args.watchers
        )
        watching = asyncio.Event()
        tasks.append(asyncio.create_task(watchers.run(watching), name="watchers"))
        groups = None
        if redis is not None and partition is not None:
            groups = GroupProgress(
                redis,
                keys.stream(partition, ANSWERS),
                readers(ANSWERS),
            )
            tasks.append(asyncio.create_task(groups.run(stop), name="group-progress"))
        await asyncio.sleep(0.5)

        processes = quizboard_processes()
        before = {pid: sample(pid) for pid in processes}
        wall = time.time()
        answers = await answer_all(args, client, quiz, players, progress)
        wall = time.time() - wall
        report["answers"] = summarize_phase(answers)
        # Processes that started meanwhile count whole: PostgreSQL starts a backend for
        # each worker connection, and the workers connect at their first batch.
        processes = quizboard_processes() | processes
        after = {pid: sample(pid) for pid in processes}
        roles: dict[str, dict[str, float]] = {}
        for pid, role in processes.items():
            b, a = before.get(pid) or Sample(0.0, 0), after[pid]
            if a is None:
                continue
            row = roles.setdefault(role, {"cpu_percent": 0.0, "rss_mb": 0.0, "processes": 0})
            row["cpu_percent"] += 100 * (a.cpu_seconds - b.cpu_seconds) / wall
            row["rss_mb"] += a.rss_bytes / 2**20
            row["processes"] += 1
        report["processes"] = {
            role: {k: round(v, 1) for k, v in row.items()} for role, row in sorted(roles.items())
        }
        usage = resource.getrusage(resource.RUSAGE_SELF)
        report["generator"] = {
            "procs": args.procs,
            "answer_cpu_percent": round(100 * answers.cpu_seconds / wall, 1),
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        }

        accepted = [(o[0], o[4], o[5]) for o in answers.outcomes if o[2] == 202]
        accepted_at = [(o[0], o[4]) for o in answers.outcomes if o[2] == 202]
        last_event = max((e for _, e in accepted_at), key=stream_id, default=None)
        if groups is not None and last_event is not None:
            report["drained"] = await wait_drained(groups, last_event)
            report["pipeline_lag_ms"] = {
                "postgres": ms(first_covering(groups.observations["answers-db"], accepted_at)),
                "leaderboard": ms(
                    first_covering(groups.observations["answers-redis"], accepted_at)
                ),
            }
        await asyncio.sleep(1.2)  # the trailing snapshot
        watching.set()
        await tasks[1]
        freshness: list[float] = []
        for arrivals in watchers.arrivals[:10]:
            seen = [(t, stream_id(as_of)) for t, _, as_of, _ in arrivals if as_of]
            freshness += first_covering(seen, accepted_at)
        first = watchers.arrivals[0] if watchers.arrivals else []
        during = [a for a in first if answers.started <= a[0] <= answers.ended + 1.0]
        span = max(0.001, answers.ended + 1.0 - answers.started)
        report["leaderboard"] = {
            "watchers_connected": watchers.connected,
            "watcher_failures": watchers.failures,
            "freshness_ms": ms(freshness),
            "snapshots_per_s": round(len(during) / span, 2),
            "snapshots_received": sum(len(a) for a in watchers.arrivals),
        }
        if args.database_url:
            board_key = board
            report["consistency"] = await consistency(
                args, board_key, redis, quiz, accepted, len(players)
            )
        report["warnings"] = warnings_for(report)
        return report
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client.close()
        if redis is not None:
            await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    import gc

    import uvloop

    args = parse_args(argv)
    if not args.quiz and not args.admin_token:
        raise SystemExit("--admin-token (or QUIZBOARD_ADMIN_TOKEN) is needed to create a quiz")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gc.freeze()
    report = uvloop.run(run(args))
    if args.json == "-":
        print(json.dumps(report, indent=2))
    else:
        print(render(report))
        if args.json:
            with open(args.json, "w") as file:
                json.dump(report, file, indent=2)
    if args.plot:
        from loadkit.report import plot

        plot(report, args.plot)
    consistent = report.get("consistency", {}).get("clean", True)
    return 0 if consistent else 1


if __name__ == "__main__":
    raise SystemExit(main())
