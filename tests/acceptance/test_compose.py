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
        for group in job.get("static_configs", [])
        for t in group["targets"]
    } | {  # replicas of a service, found through Docker's DNS
        name
        for job in prometheus["scrape_configs"]
        for group in job.get("dns_sd_configs", [])
        for name in group["names"]
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


def test_the_cluster_profile_forms_a_cluster_and_balances_two_of_each_server() -> None:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    nodes = [n for n, s in services.items() if n.startswith("valkey-") and n[7:].isdigit()]
    assert len(nodes) == 6
    assert all("--cluster-enabled" in services[n]["command"] for n in nodes)
    init = " ".join(services["valkey-cluster-init"]["command"])
    assert "--cluster-replicas 1" in init
    clustered = {n: s for n, s in services.items() if "cluster" in s.get("profiles", [])}
    quizboard_services = {
        n: s for n, s in clustered.items() if s.get("command", [""])[0] == "quizboard"
    }
    for service in quizboard_services.values():
        assert service["environment"]["QUIZBOARD_REDIS_CLUSTER"] == "true"
    roles = [s["command"][1:4] if s["command"][1] == "worker" else s["command"][1:2]
             for s in quizboard_services.values() if "trimmer" not in s["command"]]  # fmt: skip
    assert sorted(map(tuple, roles)) == sorted(
        [("api",), ("gateway",), *[("worker", "--group", g) for g in GROUPS]]
    )
    assert all(s["deploy"]["replicas"] == 2 for s in quizboard_services.values()
               if "trimmer" not in s["command"])  # fmt: skip
    nginx = (COMPOSE.parent / "deploy" / "nginx.conf").read_text()
    assert "api-cluster:8000" in nginx
    assert "gateway-cluster:8001" in nginx
    assert "Upgrade $http_upgrade" in nginx


def test_every_quizboard_process_sends_its_traces_to_jaeger() -> None:
    spec: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    traced = [name for name, service in services.items()
              if (service.get("command") or [""])[0] == "quizboard"]  # fmt: skip
    assert traced
    for name in traced:
        environment = services[name]["environment"]
        assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://jaeger:4318", name
    dockerfile = (COMPOSE.parent / "Dockerfile").read_text()
    assert "--extra tracing" in dockerfile  # the image can export them
