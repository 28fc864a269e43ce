"""Turning a load-test report into text, warnings and a chart."""

from __future__ import annotations

from typing import Any

GENERATOR_BUSY = 85.0  # percent of one core per generator process


def warnings_for(report: dict[str, Any]) -> list[str]:
    """What makes the figures doubtful."""
    found = []
    generator = report.get("generator", {})
    busy = generator.get("answer_cpu_percent", 0) / max(1, generator.get("procs", 1))
    if busy > GENERATOR_BUSY:
        found.append(
            f"the load generator used {busy:.0f}% of a core per process: it, not the "
            "server, may have been the limit (try --procs)"
        )
    answers = report.get("answers", {})
    if answers.get("late_sends", 0) > answers.get("sent", 0) * 0.01:
        found.append(
            f"{answers['late_sends']} answers were sent over 100 ms late: the "
            "generator could not keep to the open-loop schedule"
        )
    if report.get("drained") is False:
        found.append("the consumer groups did not catch up within the drain timeout")
    consistency = report.get("consistency")
    if consistency is not None and not consistency["clean"]:
        found.append("the consistency check FAILED")
    return found


def _latency(row: dict[str, Any]) -> str:
    return "  ".join(f"{k} {row[k]:g}" for k in ("p50", "p95", "p99", "max"))


def render(report: dict[str, Any]) -> str:
    """A plain-text summary."""
    lines = [f"quiz {report['quiz_id']}"]
    for phase in ("joins", "answers"):
        row = report.get(phase)
        if row is None:
            continue
        lines.append(
            f"{phase:>8}: {row['accepted']}/{row['sent']} accepted in {row['duration_s']} s = "
            f"{row['accepted_per_s']:,.0f}/s; latency ms {_latency(row['latency_ms'])}"
        )
        if row["errors"]:
            lines.append(f"{'':>10}errors: {row['errors']}")
    if "pipeline_lag_ms" in report:
        for name, row in report["pipeline_lag_ms"].items():
            lines.append(f"lag to {name:>11}: ms {_latency(row)}")
    board = report.get("leaderboard", {})
    if board:
        lines.append(
            f"freshness: ms {_latency(board['freshness_ms'])}; "
            f"{board['snapshots_per_s']} snapshots/s per quiz; "
            f"{board['watchers_connected']} watchers"
        )
    for name, row in report.get("processes", {}).items():
        lines.append(f"  {name:<32} cpu {row['cpu_percent']:>6}%  rss {row['rss_mb']} MB")
    generator = report.get("generator", {})
    if generator:
        lines.append(
            f"  generator ({generator['procs']} procs){'':<14} cpu "
            f"{generator['answer_cpu_percent']:>6}%"
        )
    consistency = report.get("consistency")
    if consistency is not None:
        verdict = "clean" if consistency["clean"] else "FAILED"
        details = ", ".join(f"{k}={v}" for k, v in consistency.items() if k != "clean")
        lines.append(f"consistency {verdict}: {details}")
    for warning in report.get("warnings", []):
        lines.append(f"WARNING: {warning}")
    return "\n".join(lines)


def plot(report: dict[str, Any], path: str) -> None:
    """Accepted answers and p99 latency per second over the answer phase, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: uv sync --extra plot") from None
    answers = report["answers"]
    figure, (rate, latency) = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    rate.plot(answers["per_second"], color="tab:blue")
    rate.set_ylabel("accepted answers/s")
    rate.set_title(
        f"quiz {report['quiz_id']}: {answers['accepted_per_s']:,.0f} answers/s, "
        f"p99 {answers['latency_ms']['p99']} ms"
    )
    latency.plot(answers.get("p99_ms_per_second", []), color="tab:red")
    latency.set_ylabel("answer p99 latency (ms)")
    latency.set_xlabel("seconds into the answer phase")
    figure.tight_layout()
    figure.savefig(path)
