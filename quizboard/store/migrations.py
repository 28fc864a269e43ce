"""Plain SQL migrations, applied in file-name order and recorded in ``schema_migrations``."""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg

MIGRATIONS_PACKAGE = "quizboard.store.sql"
# Any fixed number: concurrent `quizboard migrate` runs queue on this lock.
LOCK_ID = 0x71756979


def migration_files() -> list[tuple[str, str]]:
    """Every migration as ``(version, sql)``, in the order it must run."""
    folder = resources.files(MIGRATIONS_PACKAGE)
    return sorted(
        (entry.name.removesuffix(".sql"), entry.read_text())
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )


async def migrate(conn: psycopg.AsyncConnection[tuple[Any, ...]]) -> list[str]:
    """Apply the migrations ``conn``'s database lacks; return the versions applied."""
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        done = {row[0] for row in await cursor.fetchall()}
        for version, sql in migration_files():
            if version in done:
                continue
            await conn.execute(sql.encode())
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied_now.append(version)
    return applied_now


async def pending(conn: psycopg.AsyncConnection[tuple[Any, ...]]) -> list[str]:
    """The versions not applied yet (all of them on an empty database)."""
    cursor = await conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
    row = await cursor.fetchone()
    done: set[str] = set()
    if row and row[0]:
        cursor = await conn.execute("SELECT version FROM schema_migrations")
        done = {r[0] for r in await cursor.fetchall()}
    return [version for version, _ in migration_files() if version not in done]
