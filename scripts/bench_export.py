"""Export a quiz of 100,000 answers: `quizboard export` (streamed) against a baseline that
reads every row at once, on an embedded PostgreSQL and Valkey.

    uv run python scripts/bench_export.py [--players 10000]

Prints each run's wall time and peak RSS (the child's own, from os.wait4).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.stack import database, servers

QUESTIONS = 10

# The baseline: the whole result set in memory, then written out.
NAIVE = """
import csv, sys, psycopg
from quizboard.store.results import PLAYERS
with psycopg.connect(sys.argv[1]) as conn:
    rows = conn.execute(PLAYERS, {"quiz": int(sys.argv[2])}).fetchall()
with open(sys.argv[3], "w", newline="") as out:
    csv.writer(out).writerows(rows)
"""


def seed(url: str, players: int) -> int:
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        quiz = conn.execute(
            "INSERT INTO quizzes (title, available_at, ends_at, partition) "
            "VALUES ('bench', %s, %s, 0) RETURNING id",
            (now - timedelta(hours=2), now - timedelta(hours=1)),
        ).fetchone()
        assert quiz is not None
        quiz_id = int(quiz[0])
        ids = []
        for position in range(1, QUESTIONS + 1):
            row = conn.execute(
                "INSERT INTO questions (quiz_id, position, kind, prompt, choices, answer, points)"
                " VALUES (%s, %s, 'choice', 'q', '[\"a\", \"b\"]', 0, 100) RETURNING id",
                (quiz_id, position),
            ).fetchone()
            assert row is not None
            ids.append(row[0])
        with conn.cursor().copy(
            "COPY user_quiz (quiz_id, player_id, display_name, joined_at) FROM STDIN"
        ) as copy:
            for i in range(players):
                copy.write_row((quiz_id, f"player-{i}", f"Player {i}", now))
        columns = "quiz_id, player_id, question_id, answer, correct, points, answered_at, event_id"
        with conn.cursor().copy(f"COPY user_answer ({columns}) FROM STDIN") as copy:
            for i in range(players):
                for j, question in enumerate(ids):
                    points = 100 if (i + j) % 3 else 0
                    copy.write_row((quiz_id, f"player-{i}", question, str(points // 100),
                                    points > 0, points, now, f"{i}-{j}"))  # fmt: skip
        conn.execute("ANALYZE user_answer")
    return quiz_id


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child."""
    started = time.monotonic()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed: {child.returncode}")
    return time.monotonic() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, servers(Path(tmp)) as (redis_url, pg_url):
        url = database(pg_url, "bench")  # migrated
        quiz = seed(url, args.players)
        env = dict(os.environ, QUIZBOARD_REDIS_URL=redis_url, QUIZBOARD_DATABASE_URL=url)
        out = Path(tmp) / "out.csv"
        quizboard = [sys.executable, "-m", "quizboard", "export", str(quiz), "--out", str(out)]
        naive = [sys.executable, "-c", NAIVE, url, str(quiz), str(out)]
        answers = args.players * QUESTIONS
        print(f"{args.players:,} players, {answers:,} answers")
        for round_ in range(args.rounds):
            for name, argv in (
                ("quizboard export (streamed)", quizboard),
                ("baseline: fetchall", naive),
            ):
                wall, peak = run(argv, env)
                print(f"round {round_ + 1}  {name:<28} {wall:6.2f} s  peak RSS {peak:6.1f} MB")


if __name__ == "__main__":
    main()
