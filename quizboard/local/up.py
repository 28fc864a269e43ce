"""``quizboard up``: the whole system in one command.

With no Redis or PostgreSQL URL configured it starts the embedded Valkey and
PostgreSQL with their data under the data directory (kept between runs),
applies the migrations, then supervises the API, the gateway and one worker
per group as child processes until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import click
import psycopg

from quizboard.core.errors import ConfigError
from quizboard.local import demo
from quizboard.local.cluster import EmbeddedCluster
from quizboard.local.embedded import EmbeddedPostgres, EmbeddedValkey, free_port
from quizboard.local.fleet import server_specs, worker_specs
from quizboard.local.lifecycle import run_until_signalled
from quizboard.local.supervisor import Supervisor, child_env
from quizboard.settings import ENV_PREFIX, Settings
from quizboard.store.migrations import migrate
from quizboard.streams.groups import GROUPS

log = logging.getLogger(__name__)

READY_TIMEOUT = 60.0


def load_credentials(settings: Settings, data_dir: Path) -> Settings:
    """Fill a missing admin token or secret from the data dir, creating them once."""
    if settings.admin_token and settings.secret:
        return settings
    path = data_dir / "credentials.json"
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {"admin_token": secrets.token_urlsafe(24), "secret": secrets.token_urlsafe(32)}
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(stored, file)
    return settings.replace(
        admin_token=settings.admin_token or stored["admin_token"],
        secret=settings.secret or stored["secret"],
    )


def check_port_free(host: str, port: int, what: str) -> None:
    """Refuse a port some process listens on, binding as uvicorn and websockets do.

    Both set SO_REUSEADDR, so the connections of a run just stopped, left in
    TIME-WAIT, do not keep a new run from starting at once; nor may they here.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            raise ConfigError(
                f"{what} port {port} is in use; choose another with --{what}-port"
            ) from None


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


async def _wait_healthy(urls: list[str], stop: asyncio.Event) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while not stop.is_set():
        checks = await asyncio.gather(*[asyncio.to_thread(_healthy, u) for u in urls])
        if all(checks):
            return True
        if time.monotonic() > deadline:
            raise ConfigError(f"the system did not become ready within {READY_TIMEOUT:.0f} s")
        await asyncio.sleep(0.1)
    return False


async def _apply_migrations(database_url: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        return await migrate(conn)


@dataclass(frozen=True, slots=True)
class Fleet:
    """How many processes of each role ``quizboard up`` runs."""

    api: int = 1
    gateway: int = 1
    consumers: int = 1  # per consumer group


def _free_ports(count: int, taken: set[int]) -> list[int]:
    ports = []
    for _ in range(count):
        ports.append(free_port(frozenset(taken)))
        taken.add(ports[-1])
    return ports


async def serve_all(
    settings: Settings,
    stop: asyncio.Event,
    *,
    with_demo: bool,
    began: float,
    fleet: Fleet = Fleet(),
) -> None:
    """Supervise every process until ``stop``; print where to reach them once ready."""
    taken = {settings.api_port, settings.gateway_port}
    ports = {name: _free_ports(fleet.consumers, taken) for name in GROUPS}
    api_ports = _free_ports(fleet.api, taken) if fleet.api > 1 else []
    gateway_ports = _free_ports(fleet.gateway, taken) if fleet.gateway > 1 else []
    specs = [
        *server_specs("api", fleet.api, api_ports),
        *server_specs("gateway", fleet.gateway, gateway_ports),
        *worker_specs(ports),
    ]
    supervisor = Supervisor(specs, child_env(settings.to_env()))
    shared = "" if fleet.api == fleet.gateway == 1 else (
        " (and per API and gateway process "
        + ", ".join(f":{p}" for p in [*api_ports, *gateway_ports]) + ")"
    )  # fmt: skip
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    gateway_url = f"ws://{settings.gateway_host}:{settings.gateway_port}"
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(supervisor.run(stop), name="supervisor")
        health = [
            f"{api_url}/healthz",
            f"http://{settings.gateway_host}:{settings.gateway_port}/healthz",
        ]
        if not await _wait_healthy(health, stop):
            return
        click.echo(
            f"quizboard is up in {time.monotonic() - began:.1f} s\n"
            f"  API:         {api_url}   (OpenAPI at {api_url}/openapi.json)\n"
            f"  web:         {api_url}/   (join a quiz; the host console at {api_url}/host)\n"
            f"  gateway:     {gateway_url}/quizzes/{{id}}?token=...\n"
            f"  admin token: {settings.admin_token}\n"
            f"  metrics:     {api_url}/metrics, "
            f"http://{settings.gateway_host}:{settings.gateway_port}/metrics{shared}, "
            "and per worker "
            + ", ".join(f"{n}=" + ",".join(f":{p}" for p in ps) for n, ps in ports.items())
            + "\n"
            f"  processes:   {', '.join(f'{n}={p}' for n, p in supervisor.pids().items())}\n"
            f"  operate:     {_operator_env(settings)} uv run quizboard status"
            "   (or reconcile, export, dead)\n"
            "Ctrl-C stops everything."
        )
        if with_demo:
            quiz = await demo.create_quiz(api_url, settings.admin_token)
            click.echo(
                f"demo quiz {quiz['id']} is open for an hour. Open in a browser:\n"
                f"  play:  {api_url}/play/{quiz['id']}\n"
                f"  board: {api_url}/board/{quiz['id']}#token={quiz['host_token']}\n"
                f"  host:  {api_url}/host/{quiz['id']}  (token: {quiz['host_token']})"
            )
            players = tasks.create_task(
                demo.simulate_players(api_url, quiz, stop), name="demo-players"
            )
            live = demo.LiveDemo(api_url, settings.admin_token)
            first = await live.create()
            click.echo(
                f"demo live quiz {first['id']}: a simulated host opens a question every few "
                f"seconds. Open in a browser:\n"
                f"  play:  {api_url}/play/{first['id']}\n"
                f"  board: {api_url}/board/{first['id']}#token={first['host_token']}"
            )
            host = tasks.create_task(live.forever(stop, first), name="demo-live-quiz")
            # The simulation ends with the system, mid-request or not: its servers go.
            await stop.wait()
            players.cancel()
            host.cancel()


def _operator_env(settings: Settings) -> str:
    """The variables the operator commands need to reach this system's servers."""
    wanted = ["redis_url", "database_url"] + (["redis_cluster"] if settings.redis_cluster else [])
    env = settings.to_env()
    return " ".join(f"{name}={env[name]}" for name in (ENV_PREFIX + f.upper() for f in wanted))


def run_up(
    settings: Settings, *, with_demo: bool, fleet: Fleet = Fleet(), cluster: bool = False
) -> None:
    """Start what is missing, then run every quizboard process until a signal.

    With ``cluster`` and no Redis URL, the embedded Valkey is a local cluster of 3
    masters and 3 replicas.
    """
    began = time.monotonic()
    data_dir = Path(settings.data_dir).resolve()
    check_port_free(settings.api_host, settings.api_port, "api")
    check_port_free(settings.gateway_host, settings.gateway_port, "gateway")
    # The OS may offer the embedded servers the very ports the API and gateway want.
    taken = frozenset({settings.api_port, settings.gateway_port})
    with ExitStack() as servers:
        if not settings.redis_url and cluster:
            nodes = servers.enter_context(EmbeddedCluster(data_dir / "cluster"))
            settings = settings.replace(redis_url=nodes.url, redis_cluster=True)
            click.echo(
                f"embedded Valkey cluster: 3 masters, 3 replicas, ports "
                f"{', '.join(map(str, nodes.nodes))} (data in {nodes.data_dir})"
            )
        if not settings.redis_url:
            valkey = servers.enter_context(
                EmbeddedValkey(data_dir / "valkey", port=free_port(taken))
            )
            settings = settings.replace(redis_url=valkey.url)
            click.echo(f"embedded Valkey:     {valkey.url} (data in {valkey.data_dir})")
        if not settings.database_url:
            postgres = servers.enter_context(
                EmbeddedPostgres(data_dir / "postgres", port=free_port(taken))
            )
            settings = settings.replace(database_url=postgres.url)
            click.echo(f"embedded PostgreSQL: {postgres.url} (data in {postgres.data_dir})")
        settings = load_credentials(settings, data_dir)
        applied = asyncio.run(_apply_migrations(settings.database_url or ""))
        if applied:
            click.echo(f"migrations applied: {', '.join(applied)}")
        with contextlib.suppress(KeyboardInterrupt):
            run_until_signalled(
                lambda stop: serve_all(
                    settings, stop, with_demo=with_demo, began=began, fleet=fleet
                )
            )
        click.echo("stopping")
    click.echo("stopped")
