"""Results from PostgreSQL: the export (HTTP and CLI), and the board once Redis forgot it."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis

from quizboard.settings import Settings
from tests.support.processes import quizboard_argv, quizboard_env
from tests.support.stack import Workers
from tests.support.steps import (
    KEYS,
    answer_all,
    count,
    create_quiz,
    eventually,
    join,
)


def as_host(quiz: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {quiz['host_token']}"}


async def played(
    api: httpx.AsyncClient, db: psycopg.AsyncConnection[Any], quiz: dict[str, Any], n: int
) -> list[dict[str, Any]]:
    """``n`` players answer every question; once PostgreSQL holds it all, the players."""
    players = [await join(api, quiz["id"], f"P{i}") for i in range(n)]
    await answer_all(api, quiz, players)
    wanted = n * len(quiz["questions"])

    async def stored() -> bool:
        sql = "SELECT count(*) FROM user_answer WHERE quiz_id = %s"
        return await count(db, sql, quiz["id"]) == wanted

    await eventually(stored, within=10)
    return players


async def board(api: httpx.AsyncClient, quiz: dict[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = (
        await api.get(f"/quizzes/{quiz['id']}/leaderboard", params={"limit": 100})
    ).json()
    return snapshot


async def test_the_csv_parses_and_matches_the_leaderboard(
    api: httpx.AsyncClient, workers: Workers, db: psycopg.AsyncConnection[Any]
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    await played(api, db, quiz, 6)

    async def settled() -> bool:
        return (await board(api, quiz))["total_players"] == 6

    await eventually(settled, within=5)
    expected = [(e["rank"], e["player_id"], e["display_name"], e["score"])
                for e in (await board(api, quiz))["entries"]]  # fmt: skip
    for ask in ({"params": {"format": "csv"}}, {"headers": {"Accept": "text/csv"}}):
        headers = {**as_host(quiz), **ask.get("headers", {})}
        response = await api.get(f"/quizzes/{quiz['id']}/results", headers=headers,
                                 params=ask.get("params"))  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.text)))
        got = [(int(r["rank"]), r["player_id"], r["display_name"], int(r["score"])) for r in rows]
        assert got == expected
        assert all(int(r["answered"]) == len(quiz["questions"]) for r in rows)
        assert all(r["first_answer_at"] <= r["last_answer_at"] for r in rows)

    summary = (await api.get(f"/quizzes/{quiz['id']}/results", headers=as_host(quiz))).json()
    assert [p["player_id"] for p in summary["players"]] == [e[1] for e in expected]
    for question, result in zip(quiz["questions"], summary["questions"], strict=True):
        assert result["answered"] == 6
        if question["kind"] == "choice":
            assert sum(result["distribution"]) == 6
            assert result["distribution"][question["answer"]] == round(6 * result["correct_share"])
        else:
            assert result["distribution"]["correct"] + result["distribution"]["wrong"] == 6


async def test_results_need_the_host_and_a_known_format(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    other = await create_quiz(api)
    path = f"/quizzes/{quiz['id']}/results"
    assert (await api.get(path)).status_code == 401
    assert (await api.get(path, headers=as_host(other))).status_code == 403
    refused = await api.get(path, headers=as_host(quiz), params={"format": "xml"})
    assert refused.json()["error"]["code"] == "invalid_format"
    empty = await api.get(path, headers=as_host(quiz), params={"format": "csv"})
    assert empty.text.splitlines() == [
        "rank,player_id,display_name,score,correct,answered,first_answer_at,last_answer_at,team"
    ]


async def test_an_ended_quiz_keeps_its_board_once_its_redis_keys_are_gone(
    api: httpx.AsyncClient,
    workers: Workers,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start()
    quiz = await create_quiz(api, lasts=62)  # opened a minute ago, ends in 2 s
    players = await played(api, db, quiz, 5)

    async def ended_and_settled() -> bool:
        snapshot = await board(api, quiz)
        return snapshot["total_players"] == 5 and datetime.now(UTC) > datetime.fromisoformat(
            quiz["ends_at"]
        )

    await eventually(ended_and_settled, within=10)
    before = await board(api, quiz)
    mine = {"Authorization": f"Bearer {players[2]['token']}"}
    me_path = f"/quizzes/{quiz['id']}/leaderboard/me"
    me_before = (await api.get(me_path, headers=mine, params={"around": 1})).json()
    await redis.delete(*KEYS.quiz(quiz["partition"], quiz["id"]).all())
    after = await board(api, quiz)
    assert (after["entries"], after["total_players"]) == (before["entries"], 5)
    assert after["as_of"] == before["as_of"]  # the last stored answer
    me_after = (await api.get(me_path, headers=mine, params={"around": 1})).json()
    assert me_after == me_before


async def seed(db: psycopg.AsyncConnection[Any], quiz: dict[str, Any], players: int) -> int:
    """Store ``players`` x questions answers as the workers would; their points in all."""
    now = datetime.now(UTC)
    total = 0
    async with db.cursor() as cursor:
        async with cursor.copy(
            "COPY user_quiz (quiz_id, player_id, display_name, joined_at) FROM STDIN"
        ) as copy:
            for i in range(players):
                await copy.write_row((quiz["id"], f"player-{i}", f"Player {i}", now))
        columns = "quiz_id, player_id, question_id, answer, correct, points, answered_at, event_id"
        async with cursor.copy(f"COPY user_answer ({columns}) FROM STDIN") as copy:
            for i in range(players):
                for j, question in enumerate(quiz["questions"]):
                    points = question["points"] if (i + j) % 3 else 0
                    total += points
                    await copy.write_row((quiz["id"], f"player-{i}", question["id"], "0",
                                          points > 0, points, now, f"{i}-{j}"))  # fmt: skip
    return total


async def test_an_export_of_100_000_answers_streams_in_bounded_memory(
    api: httpx.AsyncClient, settings: Settings, db: psycopg.AsyncConnection[Any], tmp_path: Path
) -> None:
    quiz = await create_quiz(api)
    points = await seed(db, quiz, 10_000)  # 10 questions each: 100,000 answers
    out = tmp_path / "results.csv"
    argv = quizboard_argv("export", str(quiz["id"]), "--format", "csv", "--out", str(out))
    # A small parent starts the export and reads its peak RSS with os.wait4: a child
    # forked from this big test process would count the pages it shares with it.
    measure = (
        "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); "
        "_, status, usage = os.wait4(p.pid, 0); p.returncode = 0; "
        "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)"
    )
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-c", measure, *argv, env=quizboard_env(settings),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    reported, _ = await probe.communicate()
    code, peak_kb = map(int, reported.split())
    assert code == 0
    peak_mb = peak_kb / 1024
    assert peak_mb < 100, peak_mb
    with out.open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 10_000
    assert sum(int(r["score"]) for r in rows) == points
    assert sum(int(r["answered"]) for r in rows) == 100_000
    print(f"export of 100,000 answers: peak RSS {peak_mb:.1f} MB")
