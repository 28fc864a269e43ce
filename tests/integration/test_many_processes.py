"""Several API and gateway processes on one port (SO_REUSEPORT), as real processes.

Each process serves its own metrics on a port of its own: that is how the
tests (and Prometheus) tell where the kernel sent each connection.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from tests.support.processes import free_port_run, spawn, terminate
from tests.support.quizzes import ADMIN
from tests.support.stack import Workers
from tests.support.steps import (
    KEYS,
    answer,
    create_live_quiz,
    create_quiz,
    eventually,
    host,
    join,
    right_answer,
)

pytestmark = pytest.mark.slow


def metric(text: str, series: str) -> float:
    """The sum of a series' samples whose line starts with ``series``."""
    lines = re.findall(rf"^{re.escape(series)}\S* ([0-9.e+-]+)$", text, re.MULTILINE)
    return sum(float(value) for value in lines)


@contextmanager
def two_of(settings: Settings, role: str) -> Iterator[tuple[int, list[int]]]:
    """``quizboard ROLE --workers 2`` on a free port: the port and each process's
    metrics port."""
    port = free_port()
    metrics = free_port_run(2, frozenset({port}))
    process = spawn(settings, role, "--workers", "2", "--port", str(port),
                    "--metrics-port", str(metrics))  # fmt: skip
    try:
        yield port, [metrics, metrics + 1]
    finally:
        assert terminate(process, timeout=20) == 0


async def up(urls: list[str]) -> None:
    async with httpx.AsyncClient() as client:

        async def answering() -> bool:
            try:
                return all([(await client.get(u)).status_code == 200 for u in urls])
            except httpx.TransportError:
                return False

        await eventually(answering, within=30)


async def scrape(client: httpx.AsyncClient, ports: list[int]) -> list[str]:
    return [(await client.get(f"http://127.0.0.1:{p}/metrics")).text for p in ports]


async def test_two_api_processes_accept_a_duplicate_answer_once(
    settings: Settings, redis: aioredis.Redis, db: Any
) -> None:
    with two_of(settings, "api") as (port, metrics_ports):
        base = f"http://127.0.0.1:{port}"
        await up([f"{base}/healthz", *[f"http://127.0.0.1:{p}/metrics" for p in metrics_ports]])
        async with httpx.AsyncClient(base_url=base) as api:
            quiz = await create_quiz(api)
            player = await join(api, quiz["id"], "Twice")
        question = quiz["questions"][0]
        body = {"question_id": question["id"], "answer": right_answer(question)}
        headers = {"Authorization": f"Bearer {player['token']}"}

        async def send() -> int:
            # A client of its own: a new connection, which the kernel may give to either.
            async with httpx.AsyncClient(base_url=base) as client:
                reply = await client.post(f"/quizzes/{quiz['id']}/answers", json=body,
                                          headers=headers)  # fmt: skip
                return reply.status_code

        statuses = await asyncio.gather(*[send() for _ in range(16)])
        assert sorted(statuses) == [202] + [409] * 15
        async with httpx.AsyncClient() as client:
            texts = await scrape(client, metrics_ports)
        served = [
            metric(
                t, 'quizboard_http_requests_total{method="POST",route="/quizzes/{quiz_id}/answers"'
            )
            for t in texts
        ]
        assert sum(served) == 16
        assert all(count > 0 for count in served), served  # the duplicate reached both
        assert await redis.xlen(f"{KEYS.tag(quiz['partition'])}answers") == 1


async def test_every_client_of_two_gateway_processes_gets_every_snapshot(
    settings: Settings, api: httpx.AsyncClient, workers: Workers
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    with two_of(settings, "gateway") as (port, metrics_ports):
        await up([f"http://127.0.0.1:{port}/healthz",
                  *[f"http://127.0.0.1:{p}/metrics" for p in metrics_ports]])  # fmt: skip
        url = f"ws://127.0.0.1:{port}/quizzes/{quiz['id']}?token={ADMIN}"
        clients: list[ClientConnection] = []
        try:
            for _ in range(16):
                clients.append(await connect(url))
                json.loads(await clients[-1].recv())  # the first snapshot
            async with httpx.AsyncClient() as scraper:
                texts = await scrape(scraper, metrics_ports)
            held = [metric(t, "quizboard_gateway_connections") for t in texts]
            assert sum(held) == 16
            assert all(count > 0 for count in held), held  # clients on both processes
            for round_ in range(2):
                player = await join(api, quiz["id"], f"Scorer {round_}")
                question = quiz["questions"][round_]
                reply = await api.post(
                    f"/quizzes/{quiz['id']}/answers",
                    json={"question_id": question["id"], "answer": right_answer(question)},
                    headers={"Authorization": f"Bearer {player['token']}"},
                )
                event_id = reply.json()["event_id"]
                for client in clients:
                    await until_covered(client, event_id)
        finally:
            for client in clients:
                await client.close()


async def until_covered(client: ClientConnection, event_id: str) -> dict[str, Any]:
    """Read snapshots until one covers ``event_id``."""
    while True:
        snapshot: dict[str, Any] = json.loads(await asyncio.wait_for(client.recv(), 10))
        if snapshot["as_of"] and entry_order(snapshot["as_of"]) >= entry_order(event_id):
            return snapshot


def entry_order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq)


async def test_two_api_processes_keep_a_live_quiz_s_streaks_and_counts_exact(
    settings: Settings, redis: aioredis.Redis, db: Any
) -> None:
    with two_of(settings, "api") as (port, metrics_ports):
        base = f"http://127.0.0.1:{port}"
        await up([f"{base}/healthz", *[f"http://127.0.0.1:{p}/metrics" for p in metrics_ports]])
        async with httpx.AsyncClient(base_url=base) as api:
            quiz = await create_live_quiz(api)
            players = [await join(api, quiz["id"], f"P{i}") for i in range(24)]
        # Player i answers question q rightly when bit q of i is set: every pattern of
        # streaks, with runs that grow and break.
        replies: dict[str, list[int]] = {p["player_id"]: [] for p in players}

        async def send(index: int, player: dict[str, Any], q: int) -> None:
            question = quiz["questions"][q]
            value: int | str = right_answer(question)
            if not index >> q & 1:
                value = "nope" if question["kind"] == "text" else (question["answer"] + 1) % 4
            async with httpx.AsyncClient(base_url=base) as client:  # a connection of its own
                reply = await client.post(
                    f"/quizzes/{quiz['id']}/answers",
                    json={"question_id": question["id"], "answer": value},
                    headers={"Authorization": f"Bearer {player['token']}"},
                )
            assert reply.status_code == 202, reply.text
            replies[player["player_id"]].append(reply.json()["streak"])

        async with httpx.AsyncClient(base_url=base) as api:
            for q in range(3):
                await host(api, quiz, "next")
                await asyncio.gather(*[send(i, p, q) for i, p in enumerate(players)])
            await host(api, quiz, "finish")
        async with httpx.AsyncClient() as client:
            texts = await scrape(client, metrics_ports)
    served = [metric(t, 'quizboard_events_accepted_total{kind="answer"}') for t in texts]
    assert sum(served) == 72
    assert all(n > 0 for n in served), served  # both processes took answers

    for index, player in enumerate(players):
        streak, expected = 0, []
        for q in range(3):
            streak = streak + 1 if index >> q & 1 else 0
            expected.append(streak)
        assert replies[player["player_id"]] == expected, index
    tally = await redis.hgetall(KEYS.quiz(quiz["partition"], quiz["id"]).tally)
    counts = {k.decode(): int(v) for k, v in tally.items()}
    for q, question in enumerate(quiz["questions"]):
        right = sum(1 for i in range(24) if i >> q & 1)
        qid = question["id"]
        assert counts[str(qid)] == 24
        if question["kind"] == "choice":
            assert counts[f"{qid}:{question['answer']}"] == right
            assert counts[f"{qid}:{(question['answer'] + 1) % 4}"] == 24 - right
        else:
            assert (counts[f"{qid}:correct"], counts[f"{qid}:wrong"]) == (right, 24 - right)


async def test_a_host_goes_on_through_a_second_api_while_the_first_restarts(
    settings: Settings, redis: aioredis.Redis, db: Any
) -> None:
    first_port, second_port = free_port(), free_port()
    first = spawn(settings, "api", "--port", str(first_port))
    second = spawn(settings, "api", "--port", str(second_port))
    try:
        await up([f"http://127.0.0.1:{p}/healthz" for p in (first_port, second_port)])
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{first_port}") as one,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{second_port}") as two,
        ):
            quiz = await create_live_quiz(one)
            player = await join(one, quiz["id"], "Steady")
            assert (await host(one, quiz, "next"))["question"]["position"] == 1
            first.kill()  # a crash, mid-quiz
            first.wait()
            await answer(two, quiz, player, 0)
            assert (await host(two, quiz, "next"))["question"]["position"] == 2
            first = spawn(settings, "api", "--port", str(first_port))
            await answer(two, quiz, player, 1)
            await up([f"http://127.0.0.1:{first_port}/healthz"])
            assert (await host(one, quiz, "next"))["question"]["position"] == 3
            state = await host(one, quiz, "finish")
            assert state["phase"] == "finished"
            seen = (await two.get(f"/quizzes/{quiz['id']}/state")).json()
            assert {**seen, "server_time": 0} == {**state, "server_time": 0}
    finally:
        # uvicorn stops gracefully, then re-raises the SIGTERM it caught
        codes = [terminate(process, timeout=20) for process in (first, second)]
        assert set(codes) <= {0, -signal.SIGTERM}, codes
