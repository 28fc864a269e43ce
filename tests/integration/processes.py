"""Running quizboard CLI commands as real child processes, and stopping only those."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from quizboard.core.failpoints import MARKER
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


async def spawn_paused_worker(
    settings: Settings, group: str, consumer: str, point: str
) -> asyncio.subprocess.Process:
    """Start a worker that will stop at ``point``; the caller waits with :func:`paused`."""
    env = {
        **os.environ,
        **settings.replace(test_pause=point).to_env(),
        "QUIZBOARD_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "quizboard",
        "worker",
        "--group",
        group,
        "--consumer",
        consumer,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )


async def paused(process: asyncio.subprocess.Process, point: str, within: float = 30) -> None:
    """Wait until ``process`` reports it stopped at ``point``."""
    assert process.stderr is not None
    seen = b""
    while f"{MARKER} {point}".encode() not in seen:
        line = await asyncio.wait_for(process.stderr.readline(), within)
        assert line, f"the worker exited before {point}:\n{seen.decode()}"
        seen += line


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL a process we started, as a crash would, and reap it."""
    process.kill()
    await process.wait()


READY = "Ctrl-C stops everything"


async def start_up(
    env: dict[str, str], api_port: int, gateway_port: int, within: float = 90
) -> tuple[asyncio.subprocess.Process, str]:
    """Start ``quizboard up`` and wait for its banner; the process and the banner."""
    up = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "quizboard", "up",
        "--api-port", str(api_port), "--gateway-port", str(gateway_port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert up.stdout is not None
    banner = ""
    try:
        while READY not in banner:
            line = await asyncio.wait_for(up.stdout.readline(), within)
            assert line, f"quizboard up exited before it was ready:\n{banner}"
            banner += line.decode()
    except BaseException:
        up.kill()
        await up.wait()
        raise
    return up, banner
