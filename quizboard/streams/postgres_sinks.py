"""Sinks that store events in PostgreSQL, one transaction per batch.

Each batch is COPYed (binary) into a staging table, then moved with
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` on the natural key, so a
redelivered event changes nothing. The staging tables are temporary,
``ON COMMIT DELETE ROWS``, and created once per connection, not per batch:
a temp table per batch would bloat the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, LiteralString

import psycopg

from quizboard.core.events import ANSWER_DECODER, FIELD, JOIN_DECODER, JoinEvent, wire_name
from quizboard.core.failpoints import UNARMED, Failpoints
from quizboard.core.keys import Keys
from quizboard.store.connections import Connections, Redis
from quizboard.streams.entries import Entry

STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging_user_quiz
    (LIKE user_quiz INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_user_answer
    (LIKE user_answer INCLUDING DEFAULTS) ON COMMIT DELETE ROWS;
"""


async def create_staging_tables(conn: psycopg.AsyncConnection[Any]) -> None:
    """Connection hook: give a new connection its staging tables."""
    await conn.execute(STAGING)
    if not conn.autocommit:
        await conn.commit()


def _moment(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


class _CopySink:
    """COPY a batch into ``staging_<table>``, then insert what is new into ``<table>``."""

    acks = False
    table: LiteralString = ""
    columns: LiteralString = ""
    types: Sequence[str] = ()

    def __init__(
        self, pool: Connections, redis: Redis, keys: Keys, failpoints: Failpoints = UNARMED
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._keys = keys
        self._failpoints = failpoints
        self._copy: LiteralString = (
            f"COPY staging_{self.table} ({self.columns}) FROM STDIN (FORMAT BINARY)"
        )
        self._move: LiteralString = (
            f"INSERT INTO {self.table} ({self.columns})"
            f" SELECT {self.columns} FROM staging_{self.table} ON CONFLICT DO NOTHING"
        )

    def rows(self, entries: Sequence[Entry]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def also(self, cursor: psycopg.AsyncCursor[Any], entries: Sequence[Entry]) -> None:
        """What else the batch writes, in its transaction."""

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        """Store ``entries`` in one transaction; rows already there are left alone."""
        rows = self.rows(entries)  # decode everything before touching the database
        async with self._pool.connection() as conn:
            async with conn.transaction():
                cursor = conn.cursor()
                async with cursor.copy(self._copy) as copy:
                    copy.set_types(list(self.types))
                    for row in rows:
                        await copy.write_row(row)
                await cursor.execute(self._move)
                await self.also(cursor, entries)
                await self._failpoints.reach("after-copy")
            await self._failpoints.reach("after-commit")

    async def redrive(self, group: str, dead: Sequence[tuple[Entry, str]]) -> None:
        """Store dead letters (original entry, dead-stream id), then delete them."""
        await self.apply(group, [entry for entry, _ in dead])
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry, dead_id in dead:
                pipe.xdel(self._keys.dead(self._keys.partition_of_stream(entry.stream)), dead_id)
            await pipe.execute()


UNREMOVE = "DELETE FROM removed_players WHERE quiz_id = %s AND player_id = %s"
BACK = wire_name(JoinEvent, "back").encode()
RENAME = "UPDATE user_quiz SET display_name = %s WHERE quiz_id = %s AND player_id = %s"
RENAMED = wire_name(JoinEvent, "renamed").encode()


class UserQuizSink(_CopySink):
    """``joins-db``: each join becomes a ``user_quiz`` row."""

    table = "user_quiz"
    columns = "quiz_id, player_id, display_name, joined_at, team"
    types = ("int8", "text", "text", "timestamptz", "int4")

    def rows(self, entries: Sequence[Entry]) -> list[tuple[Any, ...]]:
        events = [JOIN_DECODER.decode(entry.fields[FIELD.encode()]) for entry in entries]
        return [(e.quiz_id, e.player_id, e.display_name, _moment(e.joined_at), e.team)
                for e in events]  # fmt: skip

    async def also(self, cursor: psycopg.AsyncCursor[Any], entries: Sequence[Entry]) -> None:
        """In the same transaction as the joins: a kicked app user who came back counts
        again (its removal goes), and a renamed player gets its new name, in order."""
        raw = [entry.fields[FIELD.encode()] for entry in entries]
        events = [JOIN_DECODER.decode(r) for r in raw if BACK in r or RENAMED in r]  # rare
        back = [(e.quiz_id, e.player_id) for e in events if e.back]
        if back:
            await cursor.executemany(UNREMOVE, back)
        renamed = [(e.display_name, e.quiz_id, e.player_id) for e in events if e.renamed]
        if renamed:
            await cursor.executemany(RENAME, renamed)


class UserAnswerSink(_CopySink):
    """``answers-db``: each accepted answer becomes a ``user_answer`` row."""

    table = "user_answer"
    columns = "quiz_id, player_id, question_id, answer, correct, points, answered_at, event_id"
    types = ("int8", "text", "int8", "text", "bool", "int4", "timestamptz", "text")

    def rows(self, entries: Sequence[Entry]) -> list[tuple[Any, ...]]:
        rows = []
        for entry in entries:
            event = ANSWER_DECODER.decode(entry.fields[FIELD.encode()])
            rows.append(
                (
                    event.quiz_id,
                    event.player_id,
                    event.question_id,
                    event.answer,
                    event.correct,
                    event.points,
                    _moment(event.answered_at),
                    entry.id,
                )
            )
        return rows
