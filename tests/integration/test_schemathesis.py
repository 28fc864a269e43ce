"""Property-based bad input against the running API, generated from /openapi.json.

Every operation gets bodies, paths and queries drawn from (and around) its
schema. Whatever arrives: never a 5xx, every error in the one error form, and a
refused request stores no event.
"""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import redis
import schemathesis

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from tests.support.processes import spawn
from tests.support.quizzes import ADMIN, quiz_body
from tests.support.steps import KEYS


@pytest.fixture
def running_api(settings: Settings) -> Iterator[dict[str, Any]]:
    """``quizboard api`` on a free port, with one open quiz and one player in it."""
    import json

    port = free_port()
    redis.Redis.from_url(settings.redis_url or "").flushall()
    process = spawn(settings, "api", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the API did not start"
                time.sleep(0.1)

        def call(path: str, body: Any, token: str | None = None) -> Any:
            request = urllib.request.Request(
                base + path, data=json.dumps(body).encode(), method="POST",
                headers={"Content-Type": "application/json",
                         **({"Authorization": f"Bearer {token}"} if token else {})},
            )  # fmt: skip
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read())

        quiz = call("/quizzes", quiz_body(), ADMIN)
        player = call(f"/quizzes/{quiz['id']}/join", {"display_name": "Fuzz"})
        yield {"base": base, "quiz": quiz, "player": player, "settings": settings}
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_no_input_makes_a_5xx_or_stores_a_refused_event(running_api: dict[str, Any]) -> None:
    quiz, player = running_api["quiz"], running_api["player"]
    client = redis.Redis.from_url(running_api["settings"].redis_url)
    streams = [f"{KEYS.tag(quiz['partition'])}{name}" for name in ("joins", "answers")]
    schema = schemathesis.openapi.from_url(f"{running_api['base']}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 27

    calls: list[str] = []
    for operation in operations:

        @hypothesis.settings(
            max_examples=int(os.environ.get("QUIZBOARD_FUZZ_EXAMPLES", "30")),
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(operation.as_strategy())
        def check(case: Any) -> None:
            if "quiz_id" in (case.path_parameters or {}):
                case.path_parameters["quiz_id"] = quiz["id"]
            token = player["token"]
            if case.path == "/quizzes":
                token = ADMIN
            elif case.path.rsplit("/", 1)[-1] in ("next", "reveal", "finish", "results"):
                token = quiz["host_token"]
            before = [client.xlen(s) for s in streams]
            calls.append(case.path)
            response = case.call(
                base_url=running_api["base"], headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code < 500, (case.method, case.path, response.text)
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"error"}, body
                assert set(body["error"]) == {"code", "message"}, body
                assert [client.xlen(s) for s in streams] == before, (case.path, body)

        check()
    assert len(calls) >= len(operations) * 5  # every operation was really exercised
