"""Run quizboard for a long time under a steady load and say whether anything grew.

    uv run python scripts/soak.py --minutes 60 [--cluster] [--csv soak.csv] [--plot soak.png]
    uv run python scripts/soak.py --from-csv soak.csv --plot soak.png   # plot, judge again

starts ``quizboard up`` (embedded Valkey, or a local cluster, and PostgreSQL) and
drives it as a school's day would: quizzes open and end one after another (two live
at a time), players join each and answer every question once, watchers connect to
each quiz's board over WebSocket and leave when it ends, and a worker of each group
is stopped every few minutes (``quizboard up`` starts it again). The ended quizzes'
Redis keys are kept only ``--retention`` seconds.

Every ``--sample-every`` seconds it records each role's resident memory and open
file descriptors, Valkey's memory and keys, the entries left in the streams, the
groups' lag and PostgreSQL's size (a CSV with ``--csv``, a PNG with ``--plot``).
After the load it waits for the retention to pass, samples once more, and fails
(exit 1) on growth: memory rising more than 1 % an hour after the warm-up, file
descriptors or keys above where they were before the load, streams left untrimmed,
lag rising (``scripts/loadkit/leaks.py``). The CI runs a 3-minute version.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import websockets
from loadkit.httpclient import HttpClient
from loadkit.leaks import MB, Sample, findings
from loadkit.players import guess
from loadkit.resources import descendants, describe, node_memory, take_sample
from loadkit.stack import stop
from loadkit.target import sample_quiz

from quizboard.local.embedded import free_port
from quizboard.local.lifecycle import die_with_parent

ADMIN = "soak-admin-token"
READY = "Ctrl-C stops everything"
IN_FLIGHT = 64  # requests a quiz's players have open at once
RESTART_SETTLE_S = 20.0  # no sample this soon after the workers were stopped


def iso(at: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


@contextmanager
def quizboard_up(workdir: Path, cluster: bool, retention: int) -> Iterator[dict[str, Any]]:
    """``quizboard up`` on free ports; its URLs, operator variables and pid."""
    api, gateway = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZBOARD_")}
    env.update(QUIZBOARD_ADMIN_TOKEN=ADMIN, QUIZBOARD_SECRET="soak-secret",
               QUIZBOARD_DATA_DIR=str(workdir / "up"), QUIZBOARD_ADDRESS_RATE="0",
               QUIZBOARD_PLAYER_RATE="0", QUIZBOARD_QUIZ_RETENTION_S=str(retention),
               QUIZBOARD_LOG_LEVEL="WARNING")  # fmt: skip
    argv = [sys.executable, "-m", "quizboard", "up", "--api-port", str(api),
            "--gateway-port", str(gateway), *(["--cluster"] if cluster else [])]  # fmt: skip
    log = (workdir / "up.log").open("wb")
    # It stops with this script, however this script ends.
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=log,
                               preexec_fn=die_with_parent)  # fmt: skip
    try:
        banner = ""
        assert process.stdout is not None
        while READY not in banner:
            line = process.stdout.readline().decode()
            if not line:
                raise SystemExit(f"quizboard up stopped before it was ready:\n{banner}")
            banner += line
        found = dict(re.findall(r"(QUIZBOARD_\w+)=(\S+)", banner))
        yield {
            "api": f"http://127.0.0.1:{api}",
            "gateway": f"ws://127.0.0.1:{gateway}",
            "redis_url": found["QUIZBOARD_REDIS_URL"],
            "database_url": found["QUIZBOARD_DATABASE_URL"],
            "cluster": found.get("QUIZBOARD_REDIS_CLUSTER") == "true",
            "pid": process.pid,
        }
    finally:
        stop(process, signal.SIGINT, within=60)
        log.close()


async def play_quiz(
    client: HttpClient, target: dict[str, Any], players: int, watchers: int,
    quiz_s: float, rate: float, seed: int,
) -> dict[int, int]:  # fmt: skip
    """One quiz from its opening to its end: joins, watchers, every answer once at
    ``rate`` answers a second; the count of each reply's status (-1: a watcher that
    could not connect)."""
    rng = random.Random(seed)
    spec = sample_quiz()
    now = time.time()
    spec["available_at"], spec["ends_at"] = iso(now - 5), iso(now + quiz_s)
    status, body = await client.request("POST", "/quizzes", json.dumps(spec).encode(), ADMIN)
    if status != 201:
        raise SystemExit(f"could not create a quiz: {status} {body[:200]!r}")
    quiz = json.loads(body)
    statuses: dict[int, int] = defaultdict(int)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def join(n: int) -> str | None:
        name = json.dumps({"display_name": f"Soak {n}"}).encode()
        async with gate:
            status, body = await client.request("POST", f"/quizzes/{quiz['id']}/join", name)
        statuses[status] += 1
        return str(json.loads(body)["token"]) if status == 202 else None

    tokens = [t for t in await asyncio.gather(*[join(n) for n in range(players)]) if t]
    ends = now + quiz_s

    async def watch(token: str) -> None:
        url = f"{target['gateway']}/quizzes/{quiz['id']}?token={token}"
        try:
            async with websockets.connect(url, max_size=None) as socket:
                while time.time() < ends:
                    try:
                        await asyncio.wait_for(socket.recv(), max(0.1, ends - time.time()))
                    except TimeoutError:
                        break
        except (OSError, websockets.WebSocketException):
            statuses[-1] += 1

    watching = [asyncio.create_task(watch(t)) for t in tokens[:watchers]]
    plan = [(t, q) for q in quiz["questions"] for t in tokens]
    start = asyncio.get_running_loop().time()
    sends = []

    async def answer(token: str, question: dict[str, Any]) -> None:
        body = {"question_id": question["id"], "answer": guess(question, rng)}
        async with gate:
            status, _ = await client.request("POST", f"/quizzes/{quiz['id']}/answers",
                                             json.dumps(body).encode(), token)  # fmt: skip
        statuses[status] += 1

    loop = asyncio.get_running_loop()
    for n, (token, question) in enumerate(plan):
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        if time.time() > ends - 1:
            break
        sends.append(asyncio.create_task(answer(token, question)))
    await asyncio.gather(*sends, *watching)
    return dict(statuses)


async def drive(target: dict[str, Any], args: argparse.Namespace, log: list[Sample]) -> None:
    """The load, the worker restarts and the samples, for ``args.minutes``."""
    began = time.monotonic()
    until = began + args.minutes * 60
    totals: dict[int, int] = defaultdict(int)
    per_quiz = args.rate / 2  # two quizzes live at a time
    players = max(1, int(per_quiz * args.quiz_seconds / 10))  # ten questions each

    async def quizzes() -> None:
        c = HttpClient(target["api"], connections=2 * IN_FLIGHT)
        try:
            running: set[asyncio.Task[dict[int, int]]] = set()
            seed = 0
            while time.monotonic() < until:
                seed += 1
                task = asyncio.create_task(play_quiz(
                    c, target, players, args.watchers, args.quiz_seconds, per_quiz, seed
                ))  # fmt: skip
                running.add(task)
                await asyncio.sleep(args.quiz_seconds / 2)
                for done in [t for t in running if t.done()]:
                    running.discard(done)
                    for status, count in done.result().items():
                        totals[status] += count
            for status_counts in await asyncio.gather(*running):
                for status, count in status_counts.items():
                    totals[status] += count
        finally:
            c.close()

    restarted = [-RESTART_SETTLE_S]  # when the workers were last stopped

    async def restarts() -> None:
        while time.monotonic() + args.restart_every < until:
            await asyncio.sleep(args.restart_every)
            for pid, role in descendants(target["pid"]).items():
                if role.startswith("worker:") and role != "worker:trimmer":  # not a group
                    os.kill(pid, signal.SIGTERM)  # ``quizboard up`` starts it again
            restarted[0] = time.monotonic()
            print(f"{time.monotonic() - began:6.0f} s  stopped a worker of each group")

    async def samples() -> None:
        while time.monotonic() < until:
            # Not while a worker starts again: it is missing, or half loaded, and its
            # role's memory would dip (a run whose samples fall there seems to grow).
            await asyncio.sleep(max(0.0, restarted[0] + RESTART_SETTLE_S - time.monotonic()))
            sample = await asyncio.to_thread(take_sample, target, time.monotonic() - began)
            log.append(sample)
            if args.valkey_log:
                nodes = await asyncio.to_thread(node_memory, target)
                with args.valkey_log.open("a") as out:
                    out.write(json.dumps({"seconds": round(sample.at), "nodes": nodes}) + "\n")
            print(f"{sample.at:6.0f} s  " + describe(sample), flush=True)
            await asyncio.sleep(args.sample_every)

    await asyncio.gather(quizzes(), restarts(), samples())
    print("replies: " + ", ".join(f"{k}: {v}" for k, v in sorted(totals.items())))
    bad = {status: n for status, n in totals.items() if status >= 500 and status != 503}
    if bad:
        raise SystemExit(f"server errors: {bad}")


def write_csv(path: Path, samples: list[Sample]) -> None:
    roles = sorted({role for s in samples for role in s.rss})
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["seconds", *[f"rss_mb:{r}" for r in roles],
                         *[f"fds:{r}" for r in roles], "valkey_mb", "valkey_peak_mb", "keys",
                         "stream_entries", "lag", "postgres_mb"])  # fmt: skip
        for s in samples:
            memory = [f"{s.rss.get(r, 0) / MB:.1f}" for r in roles]
            files = [s.fds.get(r, 0) for r in roles]
            stores = [f"{s.valkey_bytes / MB:.2f}", f"{s.valkey_peak_bytes / MB:.2f}", s.keys,
                      s.stream_entries, s.lag, f"{s.postgres_bytes / MB:.1f}"]  # fmt: skip
            writer.writerow([f"{s.at:.0f}", *memory, *files, *stores])


def read_csv(path: Path) -> list[Sample]:
    """The samples of a CSV that :func:`write_csv` wrote (to plot an earlier run again)."""
    samples = []
    with path.open(newline="") as source:
        for row in csv.DictReader(source):
            sample = Sample(float(row["seconds"]), valkey_bytes=int(float(row["valkey_mb"]) * MB),
                            keys=int(row["keys"]), stream_entries=int(row["stream_entries"]),
                            lag=int(row["lag"]),
                            postgres_bytes=int(float(row["postgres_mb"]) * MB),
                            valkey_peak_bytes=int(float(row.get("valkey_peak_mb") or 0) * MB),
                            )  # fmt: skip
            for column, value in row.items():
                kind, _, role = column.partition(":")
                if kind == "rss_mb":
                    sample.rss[role] = int(float(value) * MB)
                elif kind == "fds":
                    sample.fds[role] = int(value)
            samples.append(sample)
    return samples


def plot(path: Path, samples: list[Sample]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: uv sync --extra plot") from None
    minutes = [s.at / 60 for s in samples]
    figure, (memory, files, sizes, store) = plt.subplots(4, 1, figsize=(9, 12), sharex=True)
    for role in sorted({r for s in samples for r in s.rss}):
        memory.plot(minutes, [s.rss.get(role, 0) / MB for s in samples], label=role)
        files.plot(minutes, [s.fds.get(role, 0) for s in samples], label=role)
    memory.set_ylabel("resident memory (MB)")
    memory.legend(fontsize="x-small", ncol=3)
    files.set_ylabel("open file descriptors")
    sizes.plot(minutes, [s.valkey_bytes / MB for s in samples], label="Valkey used memory")
    if any(s.valkey_peak_bytes for s in samples):
        sizes.plot(minutes, [s.valkey_peak_bytes / MB for s in samples],
                   label="Valkey peak used memory (every node)")  # fmt: skip
    sizes.plot(minutes, [s.postgres_bytes / MB for s in samples], label="PostgreSQL database")
    sizes.set_ylabel("MB")
    sizes.set_yscale("log")
    sizes.legend(fontsize="x-small")
    store.plot(minutes, [s.keys for s in samples], label="Valkey keys")
    store.plot(minutes, [s.stream_entries for s in samples], label="stream entries")
    store.plot(minutes, [s.lag for s in samples], label="lag")
    store.set_ylabel("count")
    store.set_yscale("symlog")  # tens of keys beside a stream's thousands; lag may be 0
    store.set_xlabel("minutes")
    store.legend(fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60)
    parser.add_argument("--cluster", action="store_true", help="on a local Valkey cluster")
    parser.add_argument("--rate", type=float, default=150, help="answers a second")
    parser.add_argument("--watchers", type=int, default=50, help="WebSocket watchers a quiz")
    parser.add_argument("--quiz-seconds", type=float, default=60, help="how long a quiz is open")
    parser.add_argument("--retention", type=int, default=30, help="ended quizzes' key life (s)")
    parser.add_argument("--restart-every", type=float, default=300, help="seconds")
    parser.add_argument("--sample-every", type=float, default=60, help="seconds")
    parser.add_argument("--csv", type=Path)
    parser.add_argument("--plot", type=Path)
    parser.add_argument(
        "--valkey-log", type=Path, help="append each Valkey node's memory figures here (JSON lines)"
    )
    parser.add_argument("--from-csv", type=Path, help="only plot and judge this earlier run's CSV")
    args = parser.parse_args()
    if args.from_csv:
        earlier = read_csv(args.from_csv)
        plot(args.plot or args.from_csv.with_suffix(".png"), earlier)
        judge(earlier)
        return
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory() as workdir, \
            quizboard_up(Path(workdir), args.cluster, args.retention) as target:  # fmt: skip
        time.sleep(5)  # the workers made their groups
        baseline = take_sample(target, 0)
        print("baseline  " + describe(baseline), flush=True)
        asyncio.run(drive(target, args, samples))
        # Every quiz has ended (the load waits for each); their retention passes, and
        # the trimmer (every 30 s) runs once more.
        settle = args.retention + 40
        print(f"load stopped; waiting {settle:.0f} s for the retention and the trimmer")
        time.sleep(settle)
        after = take_sample(target, samples[-1].at + settle if samples else settle)
        print("after     " + describe(after), flush=True)
    samples = [baseline, *samples, after]
    if args.csv:
        write_csv(args.csv, samples)
    if args.plot:
        plot(args.plot, samples)
    judge(samples)


def judge(samples: list[Sample]) -> None:
    """Print the verdict on a run's samples (the first is the baseline, the last the
    sample after the retention); exit 1 on growth."""
    found = findings(samples[0], samples[1:-1], samples[-1])
    for finding in found:
        print(f"GROWTH: {finding}")
    if found:
        raise SystemExit(1)
    print("nothing grew")


if __name__ == "__main__":
    main()
