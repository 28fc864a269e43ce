"""Trimming streams safely: never below what some group still needs.

A group needs its oldest pending entry (read, not acked) and everything after
the last entry it was given. The stream is trimmed with ``XTRIM MINID`` just
below the lowest of those over all its groups, never by length: a lagging
group keeps everything it has not finished. A stream missing one of the groups
that should read it is not trimmed at all, since that group, once created,
starts from the beginning.

The trimmer also drops the Redis keys of quizzes that ended longer ago than
``QUIZBOARD_QUIZ_RETENTION_S``; their data stays in PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import NamedTuple

import psycopg

from quizboard.core.keys import Keys
from quizboard.settings import Settings
from quizboard.store.connections import (
    SERVER_DOWN,
    Connections,
    Reconnecting,
    Redis,
    redis_for,
)
from quizboard.store.stream_state import stream_status
from quizboard.streams.groups import STREAM_KINDS, readers

log = logging.getLogger(__name__)


class GroupPosition(NamedTuple):
    """Where one group stands on a stream."""

    name: str
    last_delivered: str
    oldest_pending: str | None


def _id(value: str) -> tuple[int, int]:
    ms, _, seq = value.partition("-")
    return int(ms), int(seq or 0)


def safe_min_id(positions: list[GroupPosition], readers: tuple[str, ...]) -> str | None:
    """The lowest entry id any group still needs, or ``None`` when trimming is unsafe."""
    if not positions or not set(readers) <= {p.name for p in positions}:
        return None
    needed = []
    for position in positions:
        if position.oldest_pending is not None:
            needed.append(_id(position.oldest_pending))
        else:
            ms, seq = _id(position.last_delivered)
            needed.append((ms, seq + 1))
    ms, seq = min(needed)
    return f"{ms}-{seq}"


async def positions(redis: Redis, stream: str) -> list[GroupPosition]:
    status = await stream_status(redis, stream)
    return [GroupPosition(g.name, g.last_delivered, g.oldest_pending) for g in status.groups]


async def trim_once(redis: Redis, keys: Keys, partitions: int) -> dict[str, int]:
    """Trim every stream as far as is safe; how many entries each lost."""
    trimmed: dict[str, int] = {}
    for kind in STREAM_KINDS:
        for stream in keys.streams(partitions, kind):
            if not await redis.exists(stream):
                continue
            min_id = safe_min_id(await positions(redis, stream), readers(kind))
            if min_id is not None:
                trimmed[stream] = int(await redis.xtrim(stream, minid=min_id, approximate=False))
    return trimmed


ENDED = """
SELECT id, partition FROM quizzes
WHERE ends_at < now() - make_interval(secs => %s)
  AND ends_at > now() - make_interval(secs => %s) - interval '7 days'
"""


async def expire_ended(redis: Redis, pg: Connections, keys: Keys, retention_s: int) -> int:
    """Drop the Redis keys of quizzes that ended over ``retention_s`` ago; PostgreSQL keeps
    their data. Looks back a week past the retention, so each quiz is seen many times."""
    async with pg.connection() as conn:
        cursor = await conn.execute(ENDED, (retention_s, retention_s))
        ended = await cursor.fetchall()
    removed = 0
    for quiz_id, partition in ended:
        doomed = [*keys.quiz(partition, quiz_id).all(), keys.quiz_config(quiz_id)]
        removed += int(await redis.unlink(*doomed))
    return removed


async def run_trimmer(settings: Settings, stop: asyncio.Event, every: float = 30.0) -> None:
    """Trim streams and expire ended quizzes every ``every`` seconds until ``stop``."""
    keys = Keys(settings.key_prefix)
    async with (
        redis_for(settings) as redis,
        Reconnecting(settings.database_url) as pg,
    ):
        while not stop.is_set():
            try:
                trimmed = await trim_once(redis, keys, settings.partitions)
                if any(trimmed.values()):
                    log.info("trimmed %s", {k: v for k, v in trimmed.items() if v})
                removed = await expire_ended(redis, pg, keys, settings.quiz_retention_s)
                if removed:
                    log.info("removed %d Redis keys of ended quizzes", removed)
            except SERVER_DOWN as exc:
                log.warning("trimmer: a server is unreachable: %r", exc)
            except psycopg.Error as exc:  # e.g. a schema not migrated yet: try again later
                log.warning("trimmer: cannot read the quizzes: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)
