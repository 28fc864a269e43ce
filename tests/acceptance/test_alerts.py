"""The Prometheus alert rules: valid for promtool, loaded by compose, on real metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from quizboard.observe.metrics import ApiMetrics, GatewayMetrics, WorkerMetrics

DEPLOY = Path(__file__).parent.parent.parent / "deploy"
ALERTS = DEPLOY / "alerts.yml"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}


class NoRooms:
    connections = count = slow_clients_closed = messages_sent = feed_losses = 0
    standings_sent = standing_runs = 0


def exported() -> set[str]:
    """Every series name quizboard's processes export."""
    names: set[str] = set()
    for metrics in (ApiMetrics(), WorkerMetrics(), GatewayMetrics(NoRooms())):
        for family in metrics.registry.collect():
            names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    assert promtool is not None, "promtool is missing: .ci/run installs Debian's prometheus"
    checked = subprocess.run([promtool, "check", "rules", str(ALERTS)],
                             capture_output=True, text=True, check=False)  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


def test_every_metric_the_rules_name_is_one_quizboard_exports() -> None:
    known = exported()
    for rule in rules():
        named = set(re.findall(r"\bquizboard_[a-z_]+\b", rule["expr"]))
        if rule["expr"].strip() != "up == 0":  # Prometheus's own up, for a target down
            assert named, rule["alert"]
        assert named <= known, (rule["alert"], named - known)
    watched = {rule["alert"] for rule in rules()}
    assert {"QuizboardGroupLagging", "QuizboardOldestPendingTooOld", "QuizboardDeadLetters",
            "QuizboardHigh5xxRate", "QuizboardLeaderboardStale",
            "QuizboardTargetDown"} <= watched  # fmt: skip


def test_every_rule_has_a_summary_and_a_runbook() -> None:
    for rule in rules():
        assert rule["annotations"]["summary"], rule["alert"]
        assert len(rule["annotations"]["runbook"]) > 40, rule["alert"]


def test_the_compose_prometheus_loads_the_rules() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    compose = yaml.safe_load((DEPLOY.parent / "compose.yaml").read_text())
    volumes = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/alerts.yml:/etc/prometheus/alerts.yml:ro" in volumes
