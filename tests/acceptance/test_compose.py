"""Every service in compose.yaml runs a real ``quizboard`` command."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from quizboard.cli import main
from quizboard.streams.groups import GROUPS
from tests.support.processes import quizboard_argv

COMPOSE = Path(__file__).parent.parent.parent / "compose.yaml"


def quizboard_commands() -> dict[str, list[str]]:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    commands = {}
    for name, service in spec["services"].items():
        command = service.get("command")
        if command and command[0] == "quizboard":
            commands[name] = command[1:]
    return commands


def test_compose_runs_every_role_and_every_group_of_the_registry() -> None:
    commands = quizboard_commands()
    roles = {tuple(c[:3]) if c[0] == "worker" else (c[0],) for c in commands.values()}
    groups = {("worker", "--group", name) for name in [*GROUPS, "trimmer"]}
    assert roles == {("migrate",), ("api",), ("gateway",), *groups}


@pytest.mark.parametrize(("service", "args"), sorted(quizboard_commands().items()))
def test_each_command_parses_and_has_help(service: str, args: list[str]) -> None:
    subcommand = main.get_command(click.Context(main), args[0])
    assert subcommand is not None, f"{service}: no command {args[0]!r}"
    # Parse (and so type-check) every option without running the command.
    subcommand.make_context(args[0], list(args[1:]), parent=click.Context(main))
    shown = subprocess.run(
        quizboard_argv(*args, "--help"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Usage: " in shown.stdout


def test_prometheus_scrapes_every_service_that_serves_metrics() -> None:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    prometheus = yaml.safe_load((COMPOSE.parent / "deploy" / "prometheus.yml").read_text())
    targets = {
        t.split(":")[0]
        for job in prometheus["scrape_configs"]
        for group in job["static_configs"]
        for t in group["targets"]
    }
    serving = {
        name
        for name, service in spec["services"].items()
        if service.get("command", [""])[0] == "quizboard"
        and service["command"][1] in ("api", "gateway", "worker")
        and "trimmer" not in service["command"]
    }
    assert targets == serving
    # ...which names every consumer group of the registry: each has its own worker there.
    for name in GROUPS:
        assert any(name in target for target in targets), f"prometheus.yml misses {name}"
    import json

    dashboard = json.loads(
        (COMPOSE.parent / "deploy/grafana/dashboards/quizboard.json").read_text()
    )
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for series in (
        "quizboard_http_requests_total",
        "quizboard_group_lag",
        "quizboard_leaderboard_freshness_seconds_bucket",
        "quizboard_gateway_connections",
    ):
        assert series in exprs
