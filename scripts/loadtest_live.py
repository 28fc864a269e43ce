"""Drive a live quiz the way a classroom of thousands would, and report what happened.

    uv run python scripts/loadtest_live.py --url http://127.0.0.1:8000 \\
        --gateway ws://127.0.0.1:8001 --admin-token T --players 5000 --window 2

A live quiz of --questions questions (--time-limit s each) is created, --players
join it, and --watchers WebSocket clients watch it. Then, question by question,
the host opens the question and the players answer it, open loop, spread over
the first --window seconds (a --miss share of them never answers, so the
question runs to its time limit; with --miss 0 it closes once everyone has
answered). The host waits for the results, then moves on, and finishes at the
end. It reports:

- the answers' latency (from their scheduled send);
- from the host's ``next`` to the ``question`` message at each watcher;
- from the question's close (``closes_at``, or the last answer's event when
  everyone answered) to the ``question_results`` message at each watcher;
- with --database-url, whether PostgreSQL holds every accepted answer and its
  points;
- every HTTP request the kit made, by route, and per accepted answer.

--client says how the players play. ``api`` (the default) only answers over HTTP.
``page`` plays as the web client's play page does: each player loads the page's
data, opens its own WebSocket with its token, answers, and reads its rank from
the pushed ``standing``; the report adds the standings' freshness (from an
answer's 202 to the player's own standing showing it) and the gateway's CPU per
standing and memory per connection. ``poll`` is the page as it was before
standings were pushed (``/leaderboard/me`` after snapshots), the baseline.

Times compare this machine's clock with Valkey's (in ``closes_at`` and the
event ids): run it on the host that runs Valkey, as the kit's runs do.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import psycopg
from loadkit.httpclient import HttpClient
from loadkit.measure import percentiles, stream_id
from loadkit.pages import MODES, PageProcesses, PlayerPages
from loadkit.players import Phase, guess, open_loop
from loadkit.procstats import quizboard_processes, sample
from loadkit.target import add_target_arguments, noisy_png, sample_quiz
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_target_arguments(parser)
    parser.add_argument("--players", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--time-limit", type=int, default=10, help="seconds per question")
    parser.add_argument("--window", type=float, default=2.0, help="answer within this many s")
    parser.add_argument("--miss", type=float, default=0.0, help="share of players who miss")
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--connections", type=int, default=256, help="HTTP connections")
    parser.add_argument("--json", help="write the report as JSON to this file ('-': stdout)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--picture-bytes", type=int, default=0,
        help="give each question a picture of about this size (pages load it, as a browser)",
    )  # fmt: skip
    parser.add_argument(
        "--procs", type=int, default=1,
        help="with --client page or poll: generator processes for the players' pages",
    )  # fmt: skip
    parser.add_argument(
        "--client", choices=MODES, default="api",
        help="api: answers only; page: as the play page (own socket, pushed standing); "
        "poll: as the play page was (/leaderboard/me after snapshots)",
    )  # fmt: skip
    return parser.parse_args(argv)


@dataclass
class Measured:
    """One question's raw figures: seconds from ``next`` to each watcher's ``question``,
    from the close to each watcher's ``question_results``, and the CPU seconds each
    role used while the answers came."""

    opened: list[float]
    results: list[float]
    cpu: dict[str, float]


@dataclass
class LiveWatchers:
    """WebSocket clients recording when each live message reached them."""

    url: str
    count: int
    # per watcher: (arrival, message) for every message that is not a snapshot
    seen: list[list[tuple[float, dict[str, Any]]]] = field(default_factory=list)
    connected: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, stop: asyncio.Event) -> None:
        self.seen = [[] for _ in range(self.count)]
        await asyncio.gather(*[self._watch(i, stop) for i in range(self.count)])

    async def _watch(self, index: int, stop: asyncio.Event) -> None:
        try:
            async with connect(self.url, compression=None, max_size=2**22) as ws:
                await ws.recv()  # the first snapshot
                self.connected += 1
                if self.connected == self.count:
                    self.ready.set()
                stopping = asyncio.ensure_future(stop.wait())
                while True:
                    receiving = asyncio.ensure_future(ws.recv())
                    done, _ = await asyncio.wait(
                        {receiving, stopping}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if receiving not in done:
                        receiving.cancel()
                        return
                    message = json.loads(receiving.result())
                    if message["type"] != "leaderboard":
                        self.seen[index].append((time.time(), message))
        except (ConnectionClosed, InvalidStatus, OSError) as exc:
            print(f"watcher {index}: {exc!r}", file=sys.stderr)
            self.ready.set()

    def arrivals(self, kind: str, question_id: int) -> list[float]:
        """When each watcher got the ``kind`` message of the question."""
        found = []
        for seen in self.seen:
            for arrived, message in seen:
                if message["type"] == kind and question_id in (
                    message.get("question_id"),
                    message.get("question", {}).get("id"),
                ):
                    found.append(arrived)
                    break
        return found


async def gateway_counter(gateway: str, name: str) -> int:
    """A counter from the gateway's own ``/metrics`` (on its WebSocket port)."""
    url = gateway.replace("ws://", "http://").replace("wss://", "https://") + "/metrics"
    try:
        text = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read())
    except OSError:
        return 0
    found = re.search(rf"^quizboard_gateway_{name}_total (\S+)$", text.decode(), re.MULTILINE)
    return int(float(found.group(1))) if found else 0


def gateway_rss() -> int:
    """The gateway processes' resident memory, in bytes."""
    return sum(
        s.rss_bytes
        for pid, role in quizboard_processes().items()
        if role == "gateway" and (s := sample(pid)) is not None
    )


def ms(values: list[float]) -> dict[str, float]:
    return {k: (round(v * 1000, 1) if k != "count" else v) for k, v in percentiles(values).items()}


async def create_quiz(args: argparse.Namespace, client: HttpClient) -> dict[str, Any]:
    spec = sample_quiz()
    spec["mode"] = "live"
    spec["questions"] = spec["questions"][: args.questions]
    for question in spec["questions"]:
        del question["points"]
        question["time_limit_s"] = args.time_limit
        if args.picture_bytes:
            question["image"] = await upload(client, args, noisy_png(args.picture_bytes))
    status, body = await client.request(
        "POST", "/quizzes", json.dumps(spec).encode(), args.admin_token
    )
    if status != 201:
        raise SystemExit(f"could not create a quiz: HTTP {status} {body[:300]!r}")
    quiz: dict[str, Any] = json.loads(body)
    return quiz


async def upload(client: HttpClient, args: argparse.Namespace, data: bytes) -> str:
    status, body = await client.request("POST", "/media", data, args.admin_token)
    if status not in (200, 201):
        raise SystemExit(f"could not upload a picture: HTTP {status} {body[:300]!r}")
    media_id: str = json.loads(body)["id"]
    return media_id


async def join_all(
    args: argparse.Namespace, client: HttpClient, quiz: dict[str, Any]
) -> list[dict[str, Any]]:
    path = f"/quizzes/{quiz['id']}/join"
    players: list[dict[str, Any]] = []

    async def one(i: int) -> None:
        body = json.dumps({"display_name": f"live {i}"}).encode()
        status, reply = await client.request("POST", path, body)
        if status == 202:
            players.append(json.loads(reply))

    await asyncio.gather(*[one(i) for i in range(args.players)])
    return players


async def host_move(client: HttpClient, quiz: dict[str, Any], move: str) -> dict[str, Any]:
    status, body = await client.request(
        "POST", f"/quizzes/{quiz['id']}/{move}", b"", quiz["host_token"]
    )
    if status != 200:
        raise SystemExit(f"host {move}: HTTP {status} {body[:300]!r}")
    state: dict[str, Any] = json.loads(body)
    return state


async def play_question(
    args: argparse.Namespace,
    client: HttpClient,
    quiz: dict[str, Any],
    players: list[dict[str, Any]],
    watchers: LiveWatchers,
    index: int,
    rng: random.Random,
    pages: PlayerPages | PageProcesses | None,
) -> tuple[dict[str, Any], Phase, Measured]:
    """One question: open it, answer it, wait for its results; what was measured (CPU
    over the whole question, from the host's ``next`` to the results)."""
    question = quiz["questions"][index]
    processes = quizboard_processes()
    before = {pid: sample(pid) for pid in processes}
    asked = time.time()
    state = await host_move(client, quiz, "next")
    path = f"/quizzes/{quiz['id']}/answers"
    answering = [p for p in players if rng.random() >= args.miss]
    jobs = [
        (path, json.dumps({"question_id": question["id"], "answer": guess(question, rng)}).encode(),
         p["token"])
        for p in answering
    ]  # fmt: skip
    rng.shuffle(jobs)
    phase = Phase(started=asked, ended=asked)
    if pages is not None:
        phase = await pages.answer(question, args.window, rng, args.miss, guess)
    elif jobs:
        phase = await open_loop(jobs, len(jobs) / args.window, client)
    deadline = time.time() + args.time_limit + 10
    while len(watchers.arrivals("question_results", question["id"])) < watchers.connected:
        if time.time() > deadline:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # the standings (or the old page's polls) that follow
    cpu: dict[str, float] = {}
    for pid, role in processes.items():
        first, last = before[pid], sample(pid)
        if first is not None and last is not None:
            cpu[role] = cpu.get(role, 0.0) + last.cpu_seconds - first.cpu_seconds
    accepted = [o for o in phase.outcomes if o[2] == 202]
    everyone = len(accepted) == len(players)
    if everyone:  # closed by the last answer: its event id holds the time of the close
        closed_at = max(stream_id(o[4])[0] for o in accepted) / 1000
    else:
        closed_at = state["closes_at"] / 1000
    errors: dict[str, int] = {}
    for o in phase.outcomes:
        if o[2] != 202:
            errors[f"{o[2]} {o[3]}"] = errors.get(f"{o[2]} {o[3]}", 0) + 1
    measured = Measured(
        [t - asked for t in watchers.arrivals("question", question["id"])],
        [t - closed_at for t in watchers.arrivals("question_results", question["id"])],
        cpu,
    )
    row = {
        "position": index + 1,
        "answers_sent": len(jobs),
        "answers_accepted": len(accepted),
        "answers_per_s": round(len(accepted) / max(0.001, phase.ended - phase.started), 1),
        "answer_latency_ms": ms([o[1] for o in accepted]),
        "errors": errors,
        "closed_by": "last answer" if everyone else "timer",
        "next_to_question_ms": ms(measured.opened),
        "close_to_results_ms": ms(measured.results),
    }
    return row, phase, measured


async def consistency(
    args: argparse.Namespace, quiz: dict[str, Any], phases: list[Phase]
) -> dict[str, Any]:
    accepted = [o for phase in phases for o in phase.outcomes if o[2] == 202]
    async with await psycopg.AsyncConnection.connect(args.database_url) as db:
        deadline = time.monotonic() + 30
        while True:
            cursor = await db.execute(
                "SELECT count(*), coalesce(sum(points), 0) FROM user_answer WHERE quiz_id = %s",
                (quiz["id"],),
            )
            rows, points = await cursor.fetchone() or (0, 0)
            if rows >= len(accepted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
    result = {
        "answers_accepted": len(accepted),
        "answer_rows": int(rows),
        "points_accepted": sum(o[5] for o in accepted),
        "points_in_postgres": int(points),
    }
    result["clean"] = (
        result["answer_rows"] == result["answers_accepted"]
        and result["points_in_postgres"] == result["points_accepted"]
    )
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    client = HttpClient(args.url, args.connections)
    stop = asyncio.Event()
    rng = random.Random(args.seed)
    report: dict[str, Any] = {
        "settings": {
            k: v for k, v in vars(args).items() if k not in ("admin_token", "database_url")
        }
    }
    try:
        quiz = await create_quiz(args, client)
        report["quiz_id"] = quiz["id"]
        joined = time.time()
        players = await join_all(args, client, quiz)
        report["joins"] = {"accepted": len(players), "duration_s": round(time.time() - joined, 2)}
        watchers = LiveWatchers(
            f"{args.gateway}/quizzes/{quiz['id']}?token={quiz['host_token']}", args.watchers
        )
        watching = asyncio.create_task(watchers.run(stop))
        await asyncio.wait_for(watchers.ready.wait(), 30)
        report["watchers_connected"] = watchers.connected
        pages: PlayerPages | PageProcesses | None = None
        if args.client != "api":
            rss_before = gateway_rss()
            if args.procs > 1:
                pages = PageProcesses(
                    args.url, args.gateway, quiz, players, args.client, args.procs,
                    args.connections,
                )  # fmt: skip
            else:
                pages = PlayerPages(args.gateway, quiz, players, client, args.client)
            await pages.open()
            report["player_sockets"] = {"open": pages.connected, "failed": pages.failed}
            grown = gateway_rss() - rss_before
            report["gateway_memory"] = {
                "rss_mb": round(gateway_rss() / 2**20, 1),
                "kb_per_player_socket": round(grown / 1024 / max(1, pages.connected), 1),
            }
        sent_before = await gateway_counter(args.gateway, "standings_sent")
        rows, phases, measured = [], [], []
        for index in range(len(quiz["questions"])):
            row, phase, figures = await play_question(
                args, client, quiz, players, watchers, index, rng, pages
            )
            rows.append(row)
            phases.append(phase)
            measured.append(figures)
        await host_move(client, quiz, "finish")
        if pages is not None:
            await pages.finish(2.0)  # the final board, and each player's final standing
            if isinstance(pages, PageProcesses):
                client.requests.update(pages.requests)
            report["standing_freshness_ms"] = ms(pages.freshness())
            report["standing_missed"] = pages.missed()
            sent = await gateway_counter(args.gateway, "standings_sent") - sent_before
            gateway_cpu = sum(m.cpu.get("gateway", 0.0) for m in measured)
            report["standings_sent"] = sent
            report["gateway_cpu_us_per_standing"] = round(1e6 * gateway_cpu / max(1, sent), 1)
            await pages.close()
        report["http_requests"] = dict(sorted(client.requests.items()))
        report["questions"] = rows
        report["answer_latency_ms"] = ms(
            [o[1] for phase in phases for o in phase.outcomes if o[2] == 202]
        )
        report["next_to_question_ms"] = ms([t for m in measured for t in m.opened])
        report["close_to_results_ms"] = ms([t for m in measured for t in m.results])
        answered = sum(r["answers_accepted"] for r in rows)
        report["http_requests_per_answer"] = round(
            sum(client.requests.values()) / max(1, answered), 3
        )
        roles = {role for m in measured for role in m.cpu}
        report["cpu_ms_per_answer"] = {
            role: round(1000 * sum(m.cpu.get(role, 0.0) for m in measured) / max(1, answered), 3)
            for role in sorted(roles)
        }
        if args.database_url:
            report["consistency"] = await consistency(args, quiz, phases)
        stop.set()
        await watching
        return report
    finally:
        stop.set()
        client.close()


def render(report: dict[str, Any]) -> str:
    lines = [
        f"live quiz {report['quiz_id']}: {report['joins']['accepted']} players joined in "
        f"{report['joins']['duration_s']} s; {report['watchers_connected']} watchers"
    ]
    for row in report["questions"]:
        lat, nq, cr = (
            row["answer_latency_ms"],
            row["next_to_question_ms"],
            row["close_to_results_ms"],
        )
        lines.append(
            f"Q{row['position']}: {row['answers_accepted']}/{row['answers_sent']} answers at "
            f"{row['answers_per_s']:,.0f}/s, ms p50 {lat['p50']:g} p99 {lat['p99']:g}; "
            f"next->question ms p50 {nq['p50']:g} p99 {nq['p99']:g}; closed by "
            f"{row['closed_by']}, close->results ms p50 {cr['p50']:g} p99 {cr['p99']:g}"
        )
        if row["errors"]:
            lines.append(f"    errors: {row['errors']}")
    for key in ("answer_latency_ms", "next_to_question_ms", "close_to_results_ms"):
        row = report[key]
        lines.append(
            f"all questions, {key}: p50 {row['p50']:g} p99 {row['p99']:g} max {row['max']:g}"
        )
    lines.append(
        "cpu ms per answer: "
        + ", ".join(f"{role} {v:g}" for role, v in report["cpu_ms_per_answer"].items())
    )
    if "standing_freshness_ms" in report:
        fresh = report["standing_freshness_ms"]
        lines.append(
            f"standing freshness (202 -> own standing shows it) ms: p50 {fresh['p50']:g} "
            f"p99 {fresh['p99']:g}; missed {report['standing_missed']}; "
            f"{report['standings_sent']} standings, gateway "
            f"{report['gateway_cpu_us_per_standing']:g} us CPU each; gateway "
            f"{report['gateway_memory']}; player sockets {report['player_sockets']}"
        )
    lines.append(
        f"HTTP requests per accepted answer: {report['http_requests_per_answer']:g} "
        f"({report['http_requests']})"
    )
    if "consistency" in report:
        lines.append(f"consistency: {report['consistency']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import resource

    import uvloop

    args = parse_args(argv)
    if not args.admin_token:
        raise SystemExit("--admin-token (or QUIZBOARD_ADMIN_TOKEN) is needed to create a quiz")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = uvloop.run(run(args))
    if args.json == "-":
        print(json.dumps(report, indent=2))
    else:
        print(render(report))
        if args.json:
            with open(args.json, "w") as file:
                json.dump(report, file, indent=2)
    return 0 if report.get("consistency", {}).get("clean", True) else 1


if __name__ == "__main__":
    raise SystemExit(main())
