"""Prometheus metrics on the API, a worker and the gateway match what happened."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from quizboard.streams.worker import run_worker
from tests.support.processes import spawn, terminate
from tests.support.quizzes import ADMIN
from tests.support.stack import Gateway, Workers
from tests.support.steps import KEYS, answer, create_quiz, eventually, join


def value(text: str, series: str) -> float:
    """The value of one exact series line in the Prometheus text format."""
    match = re.search(rf"^{re.escape(series)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match is not None, f"{series} not in:\n{text[:2000]}"
    return float(match.group(1))


@pytest.mark.slow
async def test_metrics_count_what_happened(
    api: httpx.AsyncClient, settings: Settings, workers: Workers, gateway: Gateway
) -> None:
    workers.start("joins-db", "joins-redis", "answers-redis", "leaderboard")
    port = free_port()
    worker = spawn(
        settings,
        "worker",
        "--group",
        "answers-db",
        "--consumer",
        "metrics",
        "--metrics-port",
        str(port),
    )
    try:
        quiz = await create_quiz(api)
        players = [await join(api, quiz["id"], f"M{i}") for i in range(3)]
        for player in players:
            for index in range(4):
                await answer(api, quiz, player, index)
        await api.post(f"/quizzes/{quiz['id']}/answers", json={})  # a 401

        text = (await api.get("/metrics")).text
        assert value(text, 'quizboard_events_accepted_total{kind="answer"}') == 12
        assert value(text, 'quizboard_events_accepted_total{kind="join"}') == 3
        route = "/quizzes/{quiz_id}/answers"
        assert (
            value(
                text, f'quizboard_http_requests_total{{method="POST",route="{route}",status="202"}}'
            )
            == 12
        )
        assert (
            value(
                text, f'quizboard_http_requests_total{{method="POST",route="{route}",status="401"}}'
            )
            == 1
        )
        assert "quizboard_http_request_seconds_bucket" in text

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def acked() -> bool:
                try:
                    body = (await client.get("/metrics")).text
                except httpx.TransportError:
                    return False
                series = 'quizboard_entries_acked_total{group="answers-db"}'
                return series in body and value(body, series) == 12

            await eventually(acked, within=15)
            assert (await client.get("/readyz")).status_code == 200
            await asyncio.sleep(5.5)  # the stream gauges refresh every 5 s
            body = (await client.get("/metrics")).text
            stream = f"{KEYS.tag(quiz['partition'])}answers"
            assert value(body, f'quizboard_stream_length{{stream="{stream}"}}') == 12
            assert (
                value(body, f'quizboard_group_pending{{group="answers-db",stream="{stream}"}}') == 0
            )
            assert 'quizboard_batch_size_bucket{group="answers-db"' in body

        async with connect(gateway.url(quiz["id"], ADMIN)) as ws:
            await ws.recv()
            async with httpx.AsyncClient() as client:
                gateway_text = (await client.get(f"http://127.0.0.1:{gateway.port}/metrics")).text
                ready = await client.get(f"http://127.0.0.1:{gateway.port}/readyz")
            assert value(gateway_text, "quizboard_gateway_connections") == 1
            assert value(gateway_text, "quizboard_gateway_rooms") == 1
            assert ready.status_code == 200
    finally:
        assert terminate(worker) == 0


async def test_a_workers_endpoint_speaks_http_as_the_api_does(
    settings: Settings, redis: aioredis.Redis
) -> None:
    port = free_port()
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker(settings, "answers-redis", "endpoint", stop, metrics_port=port)
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=10)
            metrics = await client.get("/metrics")
            assert metrics.headers["content-type"].startswith("text/plain")
            assert "quizboard_entries_acked_total" in metrics.text
            assert (await client.head("/metrics")).status_code == 200
            assert (await client.get("/healthz")).text == "ok\n"
            assert (await client.get("/elsewhere")).status_code == 404
        # Two requests on one connection: the endpoint keeps it alive.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: worker\r\n\r\n" * 2)
        replies = b""
        while replies.count(b"HTTP/1.1 200") < 2:
            chunk = await asyncio.wait_for(reader.read(4096), 5)
            assert chunk, f"closed after one response: {replies!r}"
            replies += chunk
        writer.close()
    finally:
        stop.set()
        await worker
