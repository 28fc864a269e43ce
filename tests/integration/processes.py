"""Running quizboard CLI commands as real child processes, and stopping only those."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from quizboard.settings import Settings


def spawn(settings: Settings, *args: str) -> subprocess.Popen[bytes]:
    """Start ``quizboard ARGS`` with ``settings`` in its environment."""
    env = {**os.environ, **settings.to_env(), "QUIZBOARD_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "quizboard", *args], env=env)


def spawn_worker(settings: Settings, group: str, consumer: str) -> subprocess.Popen[bytes]:
    return spawn(settings, "worker", "--group", group, "--consumer", consumer)


def terminate(process: subprocess.Popen[bytes], timeout: float = 10.0) -> int:
    """SIGTERM the process we started and wait for its exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
