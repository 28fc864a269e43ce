"""The ``quizboard`` command: one subcommand per process role."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click
import psycopg

from quizboard.core.errors import ConfigError, QuizboardError
from quizboard.core.results import FORMATS
from quizboard.local.lifecycle import run_until_signalled
from quizboard.observe.logs import setup_logging
from quizboard.observe.reporting import init_error_reporting
from quizboard.observe.tracing import from_environment
from quizboard.settings import Settings
from quizboard.store.connections import SERVER_DOWN
from quizboard.store.migrations import migrate
from quizboard.streams.groups import GROUPS
from quizboard.streams.worker import default_consumer_name, run_worker

log = logging.getLogger("quizboard")
T = TypeVar("T")


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    assert settings is not None
    return settings


def _run_once(main: Coroutine[Any, Any, T]) -> T:
    """Run an operator command's coroutine; a known failure is one clear line, not a trace."""
    try:
        return asyncio.run(main)
    except QuizboardError as exc:
        raise click.ClickException(exc.message) from None
    except SERVER_DOWN as exc:
        reason = " ".join(str(exc).split())  # psycopg's reasons run over several lines
        raise click.ClickException(f"a server is unreachable: {reason}") from None


def _setup_logging(role: str) -> None:
    setup_logging(role, os.environ.get("QUIZBOARD_LOG_LEVEL", "INFO"))
    init_error_reporting(role, os.environ)


def _server_options(role: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``--workers``, ``--metrics-port`` and the children's ``--reuse-port``."""

    def add(command: Callable[..., None]) -> Callable[..., None]:
        for option in (
            click.option(
                "--workers", type=click.IntRange(1), default=1, show_default=True,
                envvar=f"QUIZBOARD_{role}_WORKERS",
                help="Processes on the one port (SO_REUSEPORT); each is restarted if it dies.",
            ),
            click.option(
                "--metrics-port", type=int, envvar=f"QUIZBOARD_{role}_METRICS_PORT",
                help="Also serve /metrics here; with --workers N, process i on this port + i.",
            ),
            click.option("--reuse-port", is_flag=True, hidden=True),
        ):  # fmt: skip
            command = option(command)
        return command

    return add


def _run_copies(settings: Settings, role: str, count: int, metrics_port: int | None) -> None:
    """Run ``count`` processes of ``role`` on one port until SIGTERM, restarting any that dies."""
    from quizboard.local.fleet import server_specs
    from quizboard.local.supervisor import Supervisor, child_env

    ports = [metrics_port + i for i in range(count)] if metrics_port is not None else []
    supervisor = Supervisor(server_specs(role, count, ports), child_env(settings.to_env()))
    log.info("%s: %d processes on one port", role, count)
    run_until_signalled(supervisor.run)


@click.group()
@click.option("--redis-url", envvar="QUIZBOARD_REDIS_URL", help="Redis or Valkey URL.")
@click.option("--database-url", envvar="QUIZBOARD_DATABASE_URL", help="PostgreSQL URL.")
@click.option("--partitions", type=int, envvar="QUIZBOARD_PARTITIONS", help="Stream partitions.")
@click.option("--key-prefix", envvar="QUIZBOARD_KEY_PREFIX", help="Prefix of every Redis key.")
@click.option(
    "--redis-cluster/--no-redis-cluster",
    default=None,
    envvar="QUIZBOARD_REDIS_CLUSTER",
    help="The Redis URL names a node of a Valkey or Redis Cluster.",
)
@click.pass_context
def main(
    ctx: click.Context,
    redis_url: str | None,
    database_url: str | None,
    partitions: int | None,
    key_prefix: str | None,
    redis_cluster: bool | None,
) -> None:
    """quizboard: a real-time quiz backend."""
    _setup_logging(ctx.invoked_subcommand or "quizboard")
    try:
        settings = Settings.from_env(os.environ).replace(
            redis_url=redis_url,
            database_url=database_url,
            partitions=partitions,
            key_prefix=key_prefix,
            redis_cluster=redis_cluster,
        )
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None
    ctx.obj = settings


@main.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Apply the SQL migrations; running it twice changes nothing."""
    settings = _settings(ctx)
    if not settings.database_url:
        raise click.UsageError("QUIZBOARD_DATABASE_URL (or --database-url) is required")

    async def apply() -> list[str]:
        async with await psycopg.AsyncConnection.connect(settings.database_url or "") as conn:
            return await migrate(conn)

    applied = _run_once(apply())
    click.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")


@main.command()
@click.option("--host", envvar="QUIZBOARD_API_HOST", help="Address to listen on.")
@click.option("--port", type=int, envvar="QUIZBOARD_API_PORT", help="Port to listen on.")
@_server_options("API")
@click.pass_context
def api(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int,
    metrics_port: int | None,
    reuse_port: bool,
) -> None:
    """Serve the HTTP API with uvicorn."""
    from quizboard.api.server import serve_api

    settings = _settings(ctx).replace(api_host=host, api_port=port)
    if workers > 1:
        _run_copies(settings, "api", workers, metrics_port)
        return
    try:
        serve_api(
            settings,
            from_environment("api", os.environ),
            reuse_port=reuse_port,
            metrics_port=metrics_port,
        )
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None


@main.command()
@click.option(
    "--group",
    "group_name",
    required=True,
    type=click.Choice(sorted([*GROUPS, "trimmer"])),
    help="The consumer group to run, or the stream trimmer.",
)
@click.option(
    "--consumer", envvar="QUIZBOARD_CONSUMER", help="Stable consumer name (default: HOST-0)."
)
@click.pass_context
@click.option(
    "--metrics-port",
    type=int,
    envvar="QUIZBOARD_METRICS_PORT",
    help="Serve /metrics and /readyz on this port.",
)
def worker(
    ctx: click.Context, group_name: str, consumer: str | None, metrics_port: int | None
) -> None:
    """Run one consumer-group worker until SIGTERM."""
    settings = _settings(ctx)
    _setup_logging(f"worker:{group_name}")
    if group_name == "trimmer":
        from quizboard.streams.trimmer import run_trimmer

        run_until_signalled(lambda stop: run_trimmer(settings, stop))
        return
    name = consumer or default_consumer_name()
    log.info("worker %s starting as consumer %s", group_name, name)
    result = run_until_signalled(
        lambda stop: run_worker(
            settings,
            group_name,
            name,
            stop,
            metrics_port,
            from_environment(f"worker:{group_name}", os.environ),
        )
    )
    log.info("worker %s stopped: %d acked, %d dead-lettered", group_name, result.acked, result.dead)


@main.command()
@click.option("--host", envvar="QUIZBOARD_GATEWAY_HOST", help="Address to listen on.")
@click.option("--port", type=int, envvar="QUIZBOARD_GATEWAY_PORT", help="Port to listen on.")
@_server_options("GATEWAY")
@click.pass_context
def gateway(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int,
    metrics_port: int | None,
    reuse_port: bool,
) -> None:
    """Serve the WebSocket gateway until SIGTERM, then close clients with 1001."""
    from quizboard.gateway.server import serve_gateway

    settings = _settings(ctx).replace(gateway_host=host, gateway_port=port)
    if not settings.secret:
        raise click.UsageError("QUIZBOARD_SECRET must be set")
    if workers > 1:
        _run_copies(settings, "gateway", workers, metrics_port)
        return
    run_until_signalled(
        lambda stop: serve_gateway(settings, stop, reuse_port=reuse_port, metrics_port=metrics_port)
    )


@main.command()
@click.option("--demo", is_flag=True, help="Also open a sample quiz with simulated players.")
@click.option(
    "--data-dir",
    envvar="QUIZBOARD_DATA_DIR",
    help="Where the embedded servers keep their data (default: ./.quizboard).",
)
@click.option("--api-port", type=int, envvar="QUIZBOARD_API_PORT", help="The API's port.")
@click.option(
    "--gateway-port", type=int, envvar="QUIZBOARD_GATEWAY_PORT", help="The gateway's port."
)
@click.option(
    "--cluster", is_flag=True, envvar="QUIZBOARD_UP_CLUSTER",
    help="Run on a local Valkey cluster of 3 masters and 3 replicas (embedded).",
)  # fmt: skip
@click.option(
    "--api-workers", type=click.IntRange(1), default=1, show_default=True,
    envvar="QUIZBOARD_API_WORKERS", help="API processes on the one port.",
)  # fmt: skip
@click.option(
    "--gateway-workers", type=click.IntRange(1), default=1, show_default=True,
    envvar="QUIZBOARD_GATEWAY_WORKERS", help="Gateway processes on the one port.",
)  # fmt: skip
@click.option(
    "--consumers", type=click.IntRange(1), default=1, show_default=True,
    envvar="QUIZBOARD_CONSUMERS", help="Workers per consumer group.",
)  # fmt: skip
@click.pass_context
def up(
    ctx: click.Context,
    demo: bool,
    data_dir: str | None,
    api_port: int | None,
    gateway_port: int | None,
    cluster: bool,
    api_workers: int,
    gateway_workers: int,
    consumers: int,
) -> None:
    """Run the whole system; embedded Valkey and PostgreSQL unless URLs are set."""
    from quizboard.local.up import Fleet, run_up

    settings = _settings(ctx).replace(
        data_dir=data_dir, api_port=api_port, gateway_port=gateway_port
    )
    try:
        run_up(
            settings,
            with_demo=demo,
            fleet=Fleet(api_workers, gateway_workers, consumers),
            cluster=cluster,
        )
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None


@main.command("reconcile")
@click.argument("quiz_id", type=int)
@click.option("--fix", is_flag=True, help="Rebuild the leaderboard from PostgreSQL.")
@click.pass_context
def reconcile_command(ctx: click.Context, quiz_id: int, fix: bool) -> None:
    """Compare a quiz's accepted answers, PostgreSQL and its leaderboard; exit 1 on a difference."""
    from quizboard.ops.reconcile import run_reconcile

    ctx.exit(_run_once(run_reconcile(_settings(ctx), quiz_id, fix=fix, echo=click.echo)))


@main.command("export")
@click.argument("quiz_id", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True),
              help="Write here instead of stdout.")  # fmt: skip
@click.pass_context
def export_command(ctx: click.Context, quiz_id: int, fmt: str, out: str | None) -> None:
    """A quiz's results from PostgreSQL: one row per player, and per question in JSON."""
    from quizboard.ops.export import run_export

    settings = _settings(ctx)
    with click.open_file(out or "-", "wb") as target:
        players = _run_once(run_export(settings, quiz_id, fmt, target))
    if out:
        click.echo(f"quiz {quiz_id}: {players} players written to {out}", err=True)


@main.group()
def dead() -> None:
    """Dead letters: entries a group gave up on after too many deliveries."""


@dead.command("list")
@click.option("--count", default=100, show_default=True, help="Letters per partition.")
@click.pass_context
def dead_list(ctx: click.Context, count: int) -> None:
    """List dead letters: group, source entry, deliveries and the last error."""
    from quizboard.ops.dead import list_command

    _run_once(list_command(_settings(ctx), count, click.echo))


@dead.command("retry")
@click.argument("dead_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Re-drive every dead letter.")
@click.pass_context
def dead_retry(ctx: click.Context, dead_ids: tuple[str, ...], everything: bool) -> None:
    """Re-drive dead letters into the group that gave up on them; exit 1 if any fail again."""
    from quizboard.ops.dead import retry_command

    if not dead_ids and not everything:
        raise click.UsageError("name the dead letters to re-drive, or pass --all")
    ctx.exit(_run_once(retry_command(_settings(ctx), dead_ids, everything, click.echo)))


@main.command()
@click.option(
    "--max-lag",
    default=10_000,
    show_default=True,
    help="Exit 1 when a group has more undelivered entries.",
)
@click.option(
    "--max-pending",
    default=10_000,
    show_default=True,
    help="Exit 1 when a group has more unacked entries.",
)
@click.pass_context
def status(ctx: click.Context, max_lag: int, max_pending: int) -> None:
    """Show each stream and group: length, lag, pending, consumers, dead letters."""
    from quizboard.ops.status import status_command

    ctx.exit(_run_once(status_command(_settings(ctx), max_lag, max_pending, click.echo)))
