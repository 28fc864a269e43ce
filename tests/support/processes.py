"""Running quizboard CLI commands as real child processes, and stopping only those."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from quizboard.core.failpoints import MARKER
from quizboard.local.embedded import HOST, free_port
from quizboard.settings import Settings


def quizboard_argv(*args: str) -> list[str]:
    """The command line of ``quizboard ARGS``: every test starts the CLI through this."""
    return [sys.executable, "-m", "quizboard", *args]


def quizboard_env(settings: Settings | None = None, **variables: str) -> dict[str, str]:
    """This environment, less any ``QUIZBOARD_*`` of the caller's, plus ``settings`` and
    ``variables`` (``QUIZBOARD_LOG_LEVEL="INFO"``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZBOARD_")}
    env["QUIZBOARD_LOG_LEVEL"] = "WARNING"
    if settings is not None:
        env.update(settings.to_env())
    env.update(variables)
    return env


def quizboard(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``quizboard ARGS`` to its end; its exit code and output."""
    return subprocess.run(
        quizboard_argv(*args),
        env=quizboard_env(settings, QUIZBOARD_LOG_LEVEL="INFO"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spawn(settings: Settings, *args: str, **popen: Any) -> subprocess.Popen[Any]:
    """Start ``quizboard ARGS`` with ``settings`` in its environment."""
    return subprocess.Popen(quizboard_argv(*args), env=quizboard_env(settings), **popen)


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
    return await asyncio.create_subprocess_exec(
        *quizboard_argv("worker", "--group", group, "--consumer", consumer),
        env=quizboard_env(settings.replace(test_pause=point)),
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
    env: dict[str, str],
    api_port: int,
    gateway_port: int,
    *options: str,
    stderr: Path | None = None,
    within: float = 90,
) -> tuple[asyncio.subprocess.Process, str]:
    """Start ``quizboard up`` with ``options`` and wait for its banner; the process and
    the banner. Its standard error (every process's logs) goes to ``stderr`` if given."""
    ports = ("--api-port", str(api_port), "--gateway-port", str(gateway_port))
    errors = os.open(stderr or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        up = await asyncio.create_subprocess_exec(
            *quizboard_argv("up", *ports, *options),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=errors,
        )  # fmt: skip
    finally:
        os.close(errors)  # the child holds its own copy
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


@contextlib.asynccontextmanager
async def api_process(settings: Settings) -> AsyncIterator[str]:
    """``quizboard api`` as a real process on a free port: its base URL, once healthy."""
    port = free_port()
    process = spawn(settings, "api", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as client:
            deadline = time.monotonic() + 30
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{base}/healthz")).status_code == 200:
                        break
                assert process.poll() is None, "the API exited"
                assert time.monotonic() < deadline, "the API did not start"
                await asyncio.sleep(0.1)
        yield base
    finally:
        # uvicorn stops gracefully, then re-raises the SIGTERM it caught
        assert terminate(process, timeout=20) in (0, -signal.SIGTERM)


def free_port_run(count: int, avoid: frozenset[int] = frozenset()) -> int:
    """The first of ``count`` consecutive loopback ports that are all free now."""
    while True:
        first = free_port(avoid)
        run = range(first, first + count)
        if not avoid.intersection(run) and all(_bindable(port) for port in run[1:]):
            return first


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True
