"""Several API and gateway processes on one port (SO_REUSEPORT), as real processes.

Each process serves its own metrics on a port of its own: that is how the
tests (and Prometheus) tell where the kernel sent each connection.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from quizboard.local.embedded import free_port, free_port_run
from quizboard.settings import Settings
from tests.support.processes import spawn, terminate
from tests.support.quizzes import ADMIN
from tests.support.stack import Workers
from tests.support.steps import KEYS, create_quiz, eventually, join, right_answer

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
