"""One trace follows an answer: API, stream, both worker batches, the snapshot publish."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import redis.asyncio as aioredis
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from quizboard.observe.tracing import Tracing, from_environment
from quizboard.settings import Settings
from quizboard.streams.worker import run_worker
from tests.support.stack import api_client
from tests.support.steps import answer, create_quiz, eventually, join


async def test_an_answer_is_one_trace_from_request_to_snapshot(
    settings: Settings, redis: aioredis.Redis, db: psycopg.AsyncConnection[Any]
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider.get_tracer("quizboard-test"))
    stop = asyncio.Event()
    groups = ("joins-redis", "answers-db", "answers-redis", "leaderboard")
    workers = [
        asyncio.create_task(run_worker(settings, g, f"trace-{g}", stop, None, tracing))
        for g in groups
    ]
    try:
        async with api_client(settings, tracing) as api:
            quiz = await create_quiz(api)
            player = await join(api, quiz["id"], "Traced")
            event_id = (await answer(api, quiz, player, 0))["event_id"]

            async def published() -> bool:
                board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
                names = {s.name for s in exporter.get_finished_spans()}
                return board["as_of"] == event_id and "publish snapshot" in names

            await eventually(published, within=5)
    finally:
        stop.set()
        await asyncio.gather(*workers)
    spans = exporter.get_finished_spans()
    accept = next(s for s in spans if s.name == "accept answer")
    trace_id = accept.context.trace_id
    in_trace = {s.name for s in spans if s.context.trace_id == trace_id}
    assert {
        "accept answer",
        "answers-db batch",
        "answers-redis batch",
        "publish snapshot",
    } <= in_trace


def test_without_an_endpoint_nothing_loads() -> None:
    import sys

    tracing = from_environment("api", {})
    assert not tracing.enabled
    with tracing.span("anything") as traceparent:
        assert traceparent == ""
    assert "opentelemetry.exporter.otlp.proto.http" not in sys.modules
