"""Dead letters: listing them, and re-driving them into the group that gave up on them.

A dead letter (its shape is in :mod:`quizboard.streams.entries`) keeps the
original entry and the group that gave up on it. A re-drive applies the
original entry through that group's sink only, never the other groups of the
stream, and deletes the letter in the same step, so a letter re-driven twice
is applied once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from quizboard.core.keys import Keys
from quizboard.settings import Settings
from quizboard.store.connections import Redis, pg_pool, redis_for, text
from quizboard.streams.consumer import REJECTED
from quizboard.streams.entries import DeadLetter, Entry, parse_letter


@runtime_checkable
class Redrivable(Protocol):
    async def redrive(self, group: str, dead: Sequence[tuple[Entry, str]]) -> None: ...


async def dead_letters(redis: Redis, keys: Keys, partitions: int, count: int) -> list[DeadLetter]:
    """Up to ``count`` letters of each partition, oldest first."""
    letters: list[DeadLetter] = []
    for partition in range(partitions):
        rows: Any = await redis.xrange(keys.dead(partition), count=count)
        for dead_id, fields in rows:
            letters.append(parse_letter(partition, text(dead_id), fields))
    return letters


async def redrive(sink: Redrivable, letter: DeadLetter) -> str | None:
    """Re-drive one letter; ``None`` on success, else why it failed again."""
    try:
        await sink.redrive(letter.group, [(letter.entry, letter.dead_id)])
    except REJECTED as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def describe(letter: DeadLetter) -> str:
    return (
        f"{letter.dead_id}  p{letter.partition}  {letter.group:<14} {letter.entry.stream} "
        f"{letter.entry.id}  deliveries {letter.deliveries}  {letter.error}"
    )


async def list_command(settings: Settings, count: int, echo: Callable[[str], None]) -> None:
    """``quizboard dead list``."""
    keys = Keys(settings.key_prefix)
    async with redis_for(settings) as redis:
        letters = await dead_letters(redis, keys, settings.partitions, count)
    for letter in letters:
        echo(describe(letter))
    echo(f"{len(letters)} dead letters")


async def retry_command(
    settings: Settings, dead_ids: Sequence[str], everything: bool, echo: Callable[[str], None]
) -> int:
    """``quizboard dead retry``: 0 when every chosen letter was applied."""
    from quizboard.streams.groups import GROUPS, SinkContext
    from quizboard.streams.postgres_sinks import create_staging_tables

    keys = Keys(settings.key_prefix)
    failed = 0
    async with (
        redis_for(settings) as redis,
        pg_pool(settings.database_url, configure=create_staging_tables) as pool,
    ):
        letters = await dead_letters(redis, keys, settings.partitions, 10_000)
        chosen = [x for x in letters if everything or x.dead_id in dead_ids]
        unknown = set(dead_ids) - {x.dead_id for x in letters}
        for dead_id in sorted(unknown):
            echo(f"{dead_id}: no such dead letter")
            failed += 1
        for letter in chosen:
            group = GROUPS.get(letter.group)
            if group is None:
                echo(f"{letter.dead_id}: unknown group {letter.group!r}")
                failed += 1
                continue
            sink = group.make_sink(SinkContext(group.name, redis, keys, settings, pool))
            assert isinstance(sink, Redrivable)
            error = await redrive(sink, letter)
            if error is None:
                echo(f"{letter.dead_id}: re-driven into {letter.group}")
            else:
                echo(f"{letter.dead_id}: failed again: {error}")
                failed += 1
    return 1 if failed else 0
