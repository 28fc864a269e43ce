"""The operator's commands, run as real processes."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from quizboard.store.migrations import migration_files
from tests.support.processes import quizboard


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
