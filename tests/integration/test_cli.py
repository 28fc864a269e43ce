"""The operator's commands, run as real processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from quizboard.store.migrations import migration_files
from tests.support.processes import quizboard
from tests.support.steps import count


async def test_migrate_twice_changes_nothing(
    settings: Settings, db: psycopg.AsyncConnection[Any]
) -> None:
    first = quizboard(settings, "migrate")
    assert first.returncode == 0, first.stderr
    versions = "SELECT version, applied_at FROM schema_migrations"
    before = await (await db.execute(versions)).fetchall()
    second = quizboard(settings, "migrate")
    assert second.returncode == 0, second.stderr
    assert "up to date" in second.stdout
    after = await (await db.execute(versions)).fetchall()
    assert after == before
    assert [v for v, _ in after] == [v for v, _ in migration_files()]


def test_worker_refuses_an_unknown_group(settings: Settings) -> None:
    result = quizboard(settings, "worker", "--group", "nope")
    assert result.returncode == 2
    assert "nope" in result.stderr


@pytest.mark.parametrize("command", [["status"], ["dead", "list"], ["reconcile", "1"], ["migrate"]])
def test_operator_commands_say_in_one_line_that_a_server_is_unreachable(
    settings: Settings, command: list[str]
) -> None:
    closed = free_port()
    unreachable = settings.replace(
        redis_url=f"redis://127.0.0.1:{closed}/0",
        database_url=f"postgresql://quizboard@127.0.0.1:{closed}/quizboard",
    )
    result = quizboard(unreachable, *command)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("Error: a server is unreachable:"), result.stderr


async def test_import_creates_a_quiz_from_a_spreadsheet_or_names_every_bad_cell(
    settings: Settings, db: psycopg.AsyncConnection[Any], tmp_path: Path
) -> None:
    good = tmp_path / "Animals in French.csv"
    good.write_text("kind,prompt,options,answer,points\n"
                    "choice,Cat?,chat|chien,1,10\n"
                    "match,Pairs,chat=cat|chien=dog,,10\n", encoding="utf-8")  # fmt: skip
    created = quizboard(settings, "import", str(good), "--mode", "open")
    assert created.returncode == 0, created.stderr
    assert "'Animals in French', 2 questions" in created.stdout
    assert "host token: " in created.stdout
    assert await count(db, "SELECT count(*) FROM questions") == 2

    bad = tmp_path / "bad.csv"
    bad.write_text("kind,prompt,options,answer\nchoice,Cat?,chat|chien,3\nriddle,What?,,\n",
                   encoding="utf-8")  # fmt: skip
    refused = quizboard(settings, "import", str(bad))
    assert refused.returncode == 1
    assert "row 2, column D" in refused.stderr
    assert "row 3, column A" in refused.stderr
    assert await count(db, "SELECT count(*) FROM quizzes") == 1
