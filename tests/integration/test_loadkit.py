"""The load-test kit, run briefly against a real quizboard so that it cannot rot.

It checks the report's consistency fields, never its speed.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from tests.support.processes import quizboard_env, start_up

SCRIPTS = Path(__file__).parent.parent.parent / "scripts"


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_the_kit_reports_a_clean_run_against_up_with_configured_servers(
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
    tmp_path: Path,
) -> None:
    api_port = free_port()
    gateway_port = free_port(frozenset({api_port}))
    env = quizboard_env(settings, QUIZBOARD_DATA_DIR=str(tmp_path / "up"))
    up, banner = await start_up(env, api_port, gateway_port)
    try:
        assert "embedded" not in banner  # it used the servers it was given
        kit = await asyncio.create_subprocess_exec(
            sys.executable, str(SCRIPTS / "loadtest.py"),
            "--url", f"http://127.0.0.1:{api_port}",
            "--gateway", f"ws://127.0.0.1:{gateway_port}",
            "--players", "40", "--rate", "400", "--watchers", "2", "--json", "-",
            env=env, stdout=subprocess.PIPE,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(kit.communicate(), 120)
        assert kit.returncode == 0, out.decode()

        async def live_kit(client: str, players: int, *extra: str) -> dict[str, Any]:
            kit = await asyncio.create_subprocess_exec(
                sys.executable, str(SCRIPTS / "loadtest_live.py"),
                "--url", f"http://127.0.0.1:{api_port}",
                "--gateway", f"ws://127.0.0.1:{gateway_port}",
                "--players", str(players), "--questions", "2", "--time-limit", "5",
                "--window", "0.5", "--watchers", "2", "--client", client, "--json", "-",
                *extra, env=env, stdout=subprocess.PIPE,
            )  # fmt: skip
            out, _ = await asyncio.wait_for(kit.communicate(), 120)
            assert kit.returncode == 0, out.decode()
            report: dict[str, Any] = json.loads(out)
            return report

        live = await live_kit("page", 20, "--picture-bytes", "3000")
        polled = await live_kit("poll", 12)
    finally:
        if up.returncode is None:
            up.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(up.wait(), 60) == 0
    report = json.loads(out)
    consistency = report["consistency"]
    assert consistency["clean"] is True
    assert consistency["answers_accepted"] == 400 == consistency["answer_rows"]
    assert consistency["joins_accepted"] == 40 == consistency["total_players"]
    assert consistency["points_on_board"] == consistency["points_accepted"]
    assert report["answers"]["errors"] == {}
    assert report["drained"] is True
    assert report["leaderboard"]["watchers_connected"] == 2
    assert set(report["pipeline_lag_ms"]) == {"postgres", "leaderboard"}
    assert report["leaderboard"]["freshness_ms"]["count"] > 0

    assert live["consistency"]["clean"] is True
    assert live["consistency"]["answers_accepted"] == 40 == live["consistency"]["answer_rows"]
    assert [q["closed_by"] for q in live["questions"]] == ["last answer"] * 2
    assert live["next_to_question_ms"]["count"] == 4  # 2 watchers, 2 questions
    assert live["close_to_results_ms"]["count"] == 4
    # As the play page plays: its own socket, its pushed standing, no /leaderboard/me.
    assert live["player_sockets"] == {"open": 20, "failed": 0}
    assert live["standing_freshness_ms"]["count"] == 40
    assert live["standing_missed"] == 0
    assert live["standings_sent"] >= 40
    requests = live["http_requests"]
    assert requests["POST /quizzes/{id}/answers"] == 40
    assert requests["POST /quizzes/{id}/join"] == 20
    assert requests["GET /quizzes/{id}/state"] == 20  # each page's load
    assert requests["GET /play/{id}"] == 20  # and its own files, as a first visit's
    assert requests["GET /web/js/view.js"] == 20
    assert "GET /quizzes/{id}/leaderboard/me" not in requests
    assert requests["POST /media"] == 2  # a picture per question
    assert requests["GET /media/{id}"] == 40  # each page loads each picture once
    # As the page was: the same, and the players outside the top ask for their rank.
    assert polled["consistency"]["clean"] is True
    assert polled["http_requests"]["GET /quizzes/{id}/leaderboard/me"] > 0
    assert polled["standing_freshness_ms"]["count"] == 24


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_a_benchmark_baseline_runs_the_code_of_its_own_checkout(
    settings: Settings, tmp_path: Path
) -> None:
    sys.path.insert(0, str(SCRIPTS))
    from loadkit.stack import checkout, quizboard

    with checkout("HEAD", tmp_path) as tree:
        health = tree / "quizboard" / "api" / "health.py"
        health.write_text(health.read_text().replace('"status": "ok"', '"status": "checkout"'))
        with (
            quizboard(
                settings.redis_url or "",
                settings.database_url or "",
                tmp_path,
                source=tree,
                key_prefix="checkout:",
            ) as target,
            urllib.request.urlopen(target["url"] + "/healthz") as response,
        ):
            body = json.loads(response.read())
    assert body == {"status": "checkout"}
    assert not tree.exists()
