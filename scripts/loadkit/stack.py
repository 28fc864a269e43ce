"""Starting what a benchmark measures: embedded servers, quizboard, the naive server.

Each piece is a context manager that owns the processes it starts and stops
them (and only them) on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from quizboard.local.embedded import EmbeddedPostgres, EmbeddedValkey, free_port
from quizboard.store.migrations import migrate

SCRIPTS = Path(__file__).parent.parent
ADMIN = "bench-admin-token"
SECRET = "bench-secret"


def wait_http(url: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextlib.contextmanager
def servers(workdir: Path) -> Iterator[tuple[str, str]]:
    """An embedded Valkey and PostgreSQL (durable, as in production): their URLs."""
    with EmbeddedValkey(workdir / "valkey") as valkey, EmbeddedPostgres(workdir / "pg") as pg:
        yield valkey.url, pg.url


def database(server_url: str, name: str) -> str:
    """A fresh, migrated database ``name`` on the server; its URL."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server_url.rsplit("/", 1)[0] + "/" + name

    async def apply() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            await migrate(conn)

    asyncio.run(apply())
    return url


def stop(
    process: subprocess.Popen[bytes], signum: int = signal.SIGTERM, within: float = 30
) -> None:
    """Stop a process this kit started: ``signum``, then SIGKILL after ``within`` s."""
    if process.poll() is None:
        process.send_signal(signum)
        try:
            process.wait(within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def env_with(**settings: Any) -> dict[str, str]:
    """This environment without its QUIZBOARD_ variables, then ``settings`` as such."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZBOARD_")}
    env.update({f"QUIZBOARD_{k.upper()}": str(v) for k, v in settings.items()})
    env.setdefault("QUIZBOARD_LOG_LEVEL", "WARNING")
    return env


@contextlib.contextmanager
def checkout(revision: str, workdir: Path) -> Iterator[Path]:
    """The project's source at ``revision``, as a detached git worktree; removed on exit."""
    tree = workdir / f"source-{revision.replace('/', '-')}"
    git = ["git", "-C", str(SCRIPTS.parent)]
    subprocess.run([*git, "worktree", "add", "--detach", "-q", str(tree), revision], check=True)
    try:
        yield tree
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


@contextlib.contextmanager
def quizboard(
    redis_url: str, database_url: str, workdir: Path, source: Path | None = None, **settings: Any
) -> Iterator[dict[str, str]]:
    """``quizboard up`` on these servers; yields the URLs and environment to reach it.

    With ``source``, the quizboard package is imported from that tree (for example
    a :func:`checkout` of an earlier revision) instead of the installed one.
    """
    api, gateway = free_port(), free_port()
    # One load generator is one address, and a closed loop answers as fast as it can:
    # the rate limits would throttle the very load being measured.
    settings.setdefault("address_rate", 0)
    settings.setdefault("player_rate", 0)
    env = env_with(
        redis_url=redis_url,
        database_url=database_url,
        admin_token=ADMIN,
        secret=SECRET,
        data_dir=workdir / "up",
        **settings,
    )
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "quizboard",
            "up",
            "--api-port",
            str(api),
            "--gateway-port",
            str(gateway),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        cwd=source,  # `python -m` puts the working directory first on sys.path
    )
    try:
        wait_http(f"http://127.0.0.1:{api}/healthz")
        wait_http(f"http://127.0.0.1:{gateway}/healthz")
        yield {
            "url": f"http://127.0.0.1:{api}",
            "gateway": f"ws://127.0.0.1:{gateway}",
            "redis_url": redis_url,
            "redis_cluster": "true" if settings.get("redis_cluster") else "",
            "database_url": database_url,
        }
    finally:
        stop(process)


@contextlib.contextmanager
def script_server(script: str, *args: str, database_url: str = "") -> Iterator[dict[str, str]]:
    """One of the baseline servers in ``scripts/`` on a free port."""
    port = free_port()
    env = env_with(database_url=database_url, admin_token=ADMIN, secret=SECRET)
    process = subprocess.Popen(
        [sys.executable, str(SCRIPTS / script), "--port", str(port), *args], env=env
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield {
            "url": f"http://127.0.0.1:{port}",
            "gateway": f"ws://127.0.0.1:{port}",
            "database_url": database_url,
        }
    finally:
        stop(process)


def loadtest(target: dict[str, str], *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``loadtest.py`` against ``target``; its JSON report."""
    import json

    command = [
        sys.executable,
        str(SCRIPTS / "loadtest.py"),
        "--url",
        target["url"],
        "--gateway",
        target["gateway"],
        "--admin-token",
        ADMIN,
        "--json",
        "-",
        "--no-progress",
        *args,
    ]
    for key in ("redis_url", "database_url"):
        if target.get(key):
            command += [f"--{key.replace('_', '-')}", target[key]]
    if target.get("redis_cluster"):
        command.append("--redis-cluster")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUIZBOARD_")}
    result = subprocess.run(command, env=env, capture_output=True, timeout=timeout, check=False)
    if result.returncode not in (0, 1):
        raise RuntimeError(f"loadtest failed:\n{result.stderr.decode()[-3000:]}")
    report: dict[str, Any] = json.loads(result.stdout)
    return report
