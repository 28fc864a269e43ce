"""A live quiz's moves, recorded in PostgreSQL: each question's opening and closing
times, and the quiz's phase.

Redis holds the state that decides (one clock, atomic with the answers). This is
its record, for operators and exports, written after each host move. A move
whose record fails still stands: the host's quiz goes on, the failure is logged,
and the next move writes the times of the question before it again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection

from quizboard.store.connections import SERVER_DOWN, Pool
from quizboard.store.live import Closed, Moved

log = logging.getLogger(__name__)

SET_PHASE = "UPDATE quizzes SET phase = %s, finished_at = %s WHERE id = %s"
SET_OPENED = """
UPDATE questions SET opened_at = %s, closed_at = %s WHERE quiz_id = %s AND id = %s
"""
SET_CLOSED = "UPDATE questions SET closed_at = %s WHERE quiz_id = %s AND id = %s"


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class LiveHistory:
    """Writes live moves to PostgreSQL, best effort."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def moved(self, quiz_id: int, move: Moved, phase: str) -> None:
        """Record ``move``: the question it closed, the one it opened, the new phase."""
        finished = _at(move.at_ms) if phase == "finished" else None
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if move.previous is not None:
                    await self._closed(conn, quiz_id, move.previous)
                if move.opened is not None:
                    closes = None if move.closes_ms is None else _at(move.closes_ms)
                    await conn.execute(SET_OPENED, (_at(move.at_ms), closes, quiz_id, move.opened))
                await conn.execute(SET_PHASE, (phase, finished, quiz_id))
        except SERVER_DOWN as exc:
            log.warning("could not record live quiz %s going to %s: %r", quiz_id, phase, exc)

    async def closed(self, quiz_id: int, closed: Closed) -> None:
        """Record that a question closed (the host revealed it)."""
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await self._closed(conn, quiz_id, closed)
                await conn.execute(SET_PHASE, ("results", None, quiz_id))
        except SERVER_DOWN as exc:
            log.warning("could not record live quiz %s closing: %r", quiz_id, exc)

    @staticmethod
    async def _closed(conn: AsyncConnection[Any], quiz_id: int, closed: Closed) -> None:
        await conn.execute(SET_CLOSED, (_at(closed.at_ms), quiz_id, closed.question_id))
