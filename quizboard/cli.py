"""The ``quizboard`` command: one subcommand per process role."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import click
import psycopg

from quizboard.core.errors import ConfigError, QuizboardError
from quizboard.core.results import FORMATS
from quizboard.local.lifecycle import run_until_signalled
from quizboard.observe.logs import setup_logging
from quizboard.observe.reporting import init_error_reporting
from quizboard.observe.tracing import from_environment
from quizboard.settings import ENV_PREFIX, Settings
from quizboard.store.connections import SERVER_DOWN
from quizboard.store.migrations import migrate
from quizboard.streams.groups import GROUPS
from quizboard.streams.worker import default_consumer_name, run_worker

log = logging.getLogger("quizboard")
T = TypeVar("T")


Command = Callable[..., None]
SETTINGS = {f.name: f for f in fields(Settings)}


def options(*names: str, **flags: str) -> Callable[[Command], Command]:
    """Click options for the settings ``names``, each ``--name-with-dashes`` unless
    ``flags`` spells it (``api_host="--host"``), typed and explained by its field.

    No envvar and no default: :meth:`Settings.from_env` has read ``QUIZBOARD_<NAME>``,
    and a flag given overrides it (:func:`_given`).
    """

    def add(command: Command) -> Command:
        for name in reversed(names):
            field = SETTINGS[name]
            flag = flags.get(name, "--" + name.replace("_", "-"))
            help = f"{field.metadata['help']} [{ENV_PREFIX}{name.upper()}]"
            kind = str(field.type)
            if kind == "bool":
                option = click.option(f"{flag}/--no-{flag[2:]}", name, default=None, help=help)
            else:
                option = click.option(flag, name, type=int if "int" in kind else str, help=help)
            command = option(command)
        return command

    return add


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    assert settings is not None
    return settings


def _given(ctx: click.Context, flags: dict[str, Any]) -> Settings:
    """The command's settings with the flags it was given."""
    try:
        return _settings(ctx).replace(**flags)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None


def _run_once(main: Coroutine[Any, Any, T]) -> T:
    """Run an operator command's coroutine; a known failure is one clear line, not a trace."""
    try:
        return asyncio.run(main)
    except QuizboardError as exc:
        raise click.ClickException(exc.message) from None
    except SERVER_DOWN as exc:
        reason = " ".join(str(exc).split())  # psycopg's reasons run over several lines
        raise click.ClickException(f"a server is unreachable: {reason}") from None


def _setup_logging(role: str, settings: Settings) -> None:
    setup_logging(role, settings.log_level)
    init_error_reporting(role, os.environ)


def _server_options(role: str) -> Callable[[Command], Command]:
    """A server's ``--host``, ``--port``, ``--workers`` and ``--metrics-port`` (from the
    settings ``ROLE_host`` ...), and the children's hidden ``--reuse-port``."""
    own = ("host", "port", "workers", "metrics_port")
    spelled = {f"{role}_{name}": "--" + name.replace("_", "-") for name in own}

    def add(command: Command) -> Command:
        command = click.option("--reuse-port", is_flag=True, hidden=True)(command)
        return options(*spelled, **spelled)(command)

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
@options("redis_url", "database_url", "partitions", "key_prefix", "redis_cluster", "log_level")
@click.pass_context
def main(ctx: click.Context, /, **flags: Any) -> None:
    """quizboard: a real-time quiz backend."""
    try:
        settings = Settings.from_env(os.environ).replace(**flags)
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None
    _setup_logging(ctx.invoked_subcommand or "quizboard", settings)
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
@_server_options("api")
@click.pass_context
def api(ctx: click.Context, /, reuse_port: bool, **flags: Any) -> None:
    """Serve the HTTP API with uvicorn."""
    from quizboard.api.server import serve_api

    settings = _given(ctx, flags)
    if settings.api_workers > 1:
        _run_copies(settings, "api", settings.api_workers, settings.api_metrics_port)
        return
    try:
        serve_api(
            settings,
            from_environment("api", os.environ),
            reuse_port=reuse_port,
            metrics_port=settings.api_metrics_port,
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
@options("consumer", "metrics_port")
@click.pass_context
def worker(ctx: click.Context, /, group_name: str, **flags: Any) -> None:
    """Run one consumer-group worker until SIGTERM."""
    settings = _given(ctx, flags)
    _setup_logging(f"worker:{group_name}", settings)
    if group_name == "trimmer":
        from quizboard.streams.trimmer import run_trimmer

        run_until_signalled(lambda stop: run_trimmer(settings, stop))
        return
    name = settings.consumer or default_consumer_name()
    log.info("worker %s starting as consumer %s", group_name, name)
    result = run_until_signalled(
        lambda stop: run_worker(
            settings,
            group_name,
            name,
            stop,
            settings.metrics_port,
            from_environment(f"worker:{group_name}", os.environ),
        )
    )
    log.info("worker %s stopped: %d acked, %d dead-lettered", group_name, result.acked, result.dead)


@main.command()
@_server_options("gateway")
@click.pass_context
def gateway(ctx: click.Context, /, reuse_port: bool, **flags: Any) -> None:
    """Serve the WebSocket gateway until SIGTERM, then close clients with 1001."""
    from quizboard.gateway.server import serve_gateway

    settings = _given(ctx, flags)
    if not settings.secret:
        raise click.UsageError("QUIZBOARD_SECRET must be set")
    if settings.gateway_workers > 1:
        _run_copies(settings, "gateway", settings.gateway_workers, settings.gateway_metrics_port)
        return
    run_until_signalled(
        lambda stop: serve_gateway(
            settings, stop, reuse_port=reuse_port, metrics_port=settings.gateway_metrics_port
        )
    )


@main.command()
@click.option("--demo", is_flag=True, help="Also open a sample quiz with simulated players.")
@options(
    "data_dir", "api_port", "gateway_port", "up_cluster", "api_workers", "gateway_workers",
    "consumers", up_cluster="--cluster",
)  # fmt: skip
@click.pass_context
def up(ctx: click.Context, /, demo: bool, **flags: Any) -> None:
    """Run the whole system; embedded Valkey and PostgreSQL unless URLs are set."""
    from quizboard.local.up import Fleet, run_up

    settings = _given(ctx, flags)
    fleet = Fleet(settings.api_workers, settings.gateway_workers, settings.consumers)
    try:
        run_up(settings, with_demo=demo, fleet=fleet, cluster=settings.up_cluster)
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


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--title", help="The quiz's title (default: the file's name).")
@click.option("--mode", type=click.Choice(["live", "open"]), default="live", show_default=True)
@click.option("--available-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M%z"]),
              help="When it opens, with its offset (default: now).")  # fmt: skip
@click.option("--hours", type=click.IntRange(1, 24 * 365), default=24, show_default=True,
              help="How long it stays open.")  # fmt: skip
@click.option("--penalty", type=click.IntRange(0, 1_000_000), default=0,
              help="What a wrong answer costs.")  # fmt: skip
@click.pass_context
def import_command(ctx: click.Context, file: BinaryIO, title: str | None, mode: str,
                   available_at: datetime | None, hours: int, penalty: int) -> None:  # fmt: skip
    """A quiz from a spreadsheet (XLSX or CSV): Kahoot's template, or our layout of every
    kind. Every bad cell is named by row and column, and nothing is created."""
    from quizboard.core.quiz_sheets import QuizMeta
    from quizboard.core.tokens import HostClaims, sign_host
    from quizboard.ops.importing import run_import

    settings = _settings(ctx)
    opens = available_at or datetime.now(UTC)
    name = title or Path(file.name).stem
    meta = QuizMeta(name, "open" if mode == "open" else "live", opens,
                    opens + timedelta(hours=hours), penalty)  # fmt: skip
    config = _run_once(run_import(settings, file.read(), meta))
    expires = int(config.ends_at.timestamp()) + settings.token_grace_s
    click.echo(f"quiz {config.id} created: {config.title!r}, {len(config.questions)} questions")
    click.echo(f"host token: {sign_host(settings.secret.encode(), HostClaims(config.id, expires))}")


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
