"""Kicking a player from a quiz of 10,000: how soon the board leaves it out, and what
the answer route does meanwhile.

    uv run python scripts/bench_kick.py [--players 10000] [--rate 2000] [--kicks 5]

quizboard runs (``quizboard up``) on an embedded Valkey and PostgreSQL. --players
join an open quiz; then answers come open loop at --rate per second for the whole
run, and the host kicks a scoring player every 2 s (--kicks of them). A board
watches over the gateway. For each kick: the kick request's time, and the time from
the kick to the first board without the player (its player count one less). The
answers accepted per second are counted in the seconds with a kick and in those
without, in the same run.
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
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.httpclient import HttpClient
from loadkit.stack import ADMIN, database, quizboard, servers
from loadkit.target import sample_quiz


async def run(url: str, gateway: str, args: argparse.Namespace) -> dict[str, Any]:
    client = HttpClient(url, 256)
    status, body = await client.request("POST", "/quizzes", json.dumps(sample_quiz()).encode(),
                                        ADMIN)  # fmt: skip
    assert status == 201, body
    quiz = json.loads(body)
    path = f"/quizzes/{quiz['id']}"

    async def join(i: int) -> dict[str, Any]:
        _, reply = await client.request("POST", f"{path}/join",
                                        json.dumps({"display_name": f"p{i}"}).encode())  # fmt: skip
        player: dict[str, Any] = json.loads(reply)
        return player

    players = await asyncio.gather(*(join(i) for i in range(args.players)))
    print(f"{len(players):,} players joined", flush=True)
    question = quiz["questions"][0]
    accepted: list[float] = []  # when each 202 came
    kicks: list[dict[str, Any]] = []
    boards: list[tuple[float, int]] = []  # when each board came, and its player count
    stop = asyncio.Event()

    async def watch() -> None:
        async with connect(f"{gateway}{path}?token={ADMIN}", max_size=2**24) as ws:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] == "leaderboard":
                    boards.append((time.monotonic(), message["total_players"]))
                if stop.is_set():
                    return

    async def answer(player: dict[str, Any]) -> None:
        body = json.dumps({"question_id": question["id"], "answer": question["answer"]}).encode()
        status, _ = await client.request("POST", f"{path}/answers", body, player["token"])
        if status == 202:
            accepted.append(time.monotonic())

    async def load() -> None:
        tasks = []
        started = time.monotonic()
        for n, player in enumerate(players):
            if stop.is_set():
                break
            await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))
            tasks.append(asyncio.create_task(answer(player)))
        await asyncio.gather(*tasks)

    watcher = asyncio.create_task(watch())
    loading = asyncio.create_task(load())
    began = time.monotonic()
    for k in range(args.kicks):
        await asyncio.sleep(2.0)
        target = players[k * 37]["player_id"]  # answered within the first seconds
        sent = time.monotonic()
        status, _ = await client.request("POST", f"{path}/players/{target}/kick", b"", ADMIN)
        done = time.monotonic()
        assert status == 200
        kicks.append({"player": target, "sent": sent, "request_ms": (done - sent) * 1000,
                      "left": len(players) - k - 1})  # fmt: skip
    await asyncio.sleep(2.0)
    stop.set()
    await loading
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher
    for kick in kicks:  # the first board that counts the players without this one
        gone = next((at for at, count in boards if at > kick["sent"] and count <= kick["left"]),
                    None)  # fmt: skip
        kick["to_board_ms"] = (gone - kick["sent"]) * 1000 if gone else float("nan")
    seconds: dict[int, int] = {}
    for at in accepted:
        seconds[int(at - began)] = seconds.get(int(at - began), 0) + 1
    kicked_seconds = {int(k["sent"] - began) for k in kicks}
    full = [s for s in seconds if 0 < s < max(seconds)]  # whole seconds only
    with_kick = [seconds[s] for s in full if s in kicked_seconds]
    without = [seconds[s] for s in full if s not in kicked_seconds]
    client.close()
    return {"kicks": kicks, "with_kick": with_kick, "without": without}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=800.0, help="answers per second")
    parser.add_argument("--kicks", type=int, default=5)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        target = stack.enter_context(quizboard(redis_url, database(pg_url, "kick"), tmp))
        result = asyncio.run(run(target["url"], target["gateway"], args))
    for kick in result["kicks"]:
        print(f"kick: request {kick['request_ms']:.1f} ms, "
              f"board without the player after {kick['to_board_ms']:.0f} ms")  # fmt: skip
    board = [k["to_board_ms"] for k in result["kicks"]]
    print(f"kick to board: median {statistics.median(board):.0f} ms, max {max(board):.0f} ms")
    mean = statistics.mean
    print(f"answers accepted per second: {mean(result['without']):.0f} in seconds without a "
          f"kick, {mean(result['with_kick']):.0f} in seconds with one "
          f"({mean(result['with_kick']) / mean(result['without']):.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
