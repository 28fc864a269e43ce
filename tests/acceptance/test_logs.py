"""Every process logs one JSON object per line when no terminal is attached."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from quizboard.local.embedded import EmbeddedValkey
from tests.support.processes import quizboard_argv, quizboard_env


def test_a_worker_logs_json_lines_without_secrets(tmp_path: Path) -> None:
    with EmbeddedValkey(tmp_path / "valkey") as valkey:
        env = quizboard_env(
            QUIZBOARD_REDIS_URL=valkey.url,
            QUIZBOARD_SECRET="do-not-log-me",
            QUIZBOARD_ADMIN_TOKEN="nor-me",
            QUIZBOARD_LOG_LEVEL="INFO",
        )
        worker = subprocess.Popen(
            quizboard_argv("worker", "--group", "answers-redis"),
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=20)
    assert worker.returncode == 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) >= 2
    for line in lines:
        event = json.loads(line)
        assert {"ts", "level", "role", "message"} <= set(event)
        assert event["role"] == "worker:answers-redis"
    assert any("stopped" in json.loads(line)["message"] for line in lines)
    assert "do-not-log-me" not in stderr
    assert "nor-me" not in stderr
