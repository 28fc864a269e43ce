"""Uploaded pictures and sounds in PostgreSQL, and the most used of them in memory.

A file never changes under its id (the SHA-256 of its bytes), so a copy held in
memory never goes stale: the cache only bounds how many bytes it keeps, dropping
the least recently served first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Sequence

from quizboard.core.errors import InvalidInput
from quizboard.core.media import Uploaded
from quizboard.core.questions import QuestionIn, media_ids
from quizboard.store.connections import Pool

INSERT = """
INSERT INTO media (id, content_type, size, data) VALUES (%s, %s, %s, %s)
ON CONFLICT (id) DO NOTHING
"""
SELECT = "SELECT content_type, data FROM media WHERE id = %s"
KNOWN = "SELECT id FROM media WHERE id = ANY(%s)"


class MediaStore:
    """Stores uploads and serves them, through a bounded in-memory cache."""

    def __init__(self, pool: Pool, cache_bytes: int) -> None:
        self._pool = pool
        self._limit = cache_bytes
        self._held = 0
        self._cache: OrderedDict[str, tuple[str, bytes]] = OrderedDict()

    async def put(self, upload: Uploaded, data: bytes) -> bool:
        """Store ``data`` under its id; ``False`` when it was stored before."""
        async with self._pool.connection() as conn:
            cursor = await conn.execute(INSERT, (upload.id, upload.content_type, upload.size, data))
            return cursor.rowcount == 1

    async def get(self, media_id: str) -> tuple[str, bytes] | None:
        """A file's type and bytes, or ``None`` when no file has that id."""
        held = self._cache.get(media_id)
        if held is not None:
            self._cache.move_to_end(media_id)
            return held
        async with self._pool.connection() as conn:
            cursor = await conn.execute(SELECT, (media_id,))
            row = await cursor.fetchone()
        if row is None:
            return None
        found = (str(row[0]), bytes(row[1]))
        self._keep(media_id, found)
        return found

    async def unknown(self, ids: Collection[str]) -> set[str]:
        """Which of ``ids`` name no uploaded file."""
        if not ids:
            return set()
        async with self._pool.connection() as conn:
            cursor = await conn.execute(KNOWN, (list(ids),))
            known = {str(row[0]) for row in await cursor.fetchall()}
        return set(ids) - known

    async def check_known(self, questions: Sequence[QuestionIn]) -> None:
        """Refuse questions that refer to a file never uploaded, naming where."""
        where: dict[str, str] = {}
        for number, question in enumerate(questions, start=1):
            for media_id, field in media_ids(question).items():
                where.setdefault(media_id, f"question {number}: {field}")
        missing = await self.unknown(where.keys())
        if missing:
            named = "; ".join(sorted(f"{where[m]} {m} is not an uploaded file" for m in missing))
            raise InvalidInput(named, code="unknown_media")

    def _keep(self, media_id: str, found: tuple[str, bytes]) -> None:
        size = len(found[1])
        if size > self._limit:
            return
        self._cache[media_id] = found
        self._held += size
        while self._held > self._limit:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._held -= len(dropped)
