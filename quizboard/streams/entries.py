"""Stream entries as a consumer reads them, and as dead letters.

A dead letter keeps the group that gave up, the source stream and entry id,
the last error, the delivery count, and every field of the original entry
(prefixed with ``field:``). :func:`letter_fields` writes that shape and
:func:`parse_letter` reads it back: the one definition of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PREFIX = b"field:"


@dataclass(frozen=True, slots=True)
class Entry:
    """One stream entry as read: its stream, its id, and its raw fields."""

    stream: str
    id: str
    fields: dict[bytes, bytes]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One entry of a dead stream."""

    dead_id: str
    partition: int
    group: str
    entry: Entry
    error: str
    deliveries: int


def letter_fields(group: str, entry: Entry, error: str, deliveries: int) -> dict[Any, Any]:
    """The fields of the dead letter for ``entry``, given up on by ``group``."""
    fields: dict[Any, Any] = {
        "group": group,
        "stream": entry.stream,
        "id": entry.id,
        "error": error,
        "deliveries": deliveries,
    }
    for key, value in entry.fields.items():
        fields[PREFIX + key] = value
    return fields


def _text(value: bytes | None) -> str:
    return value.decode() if value is not None else ""


def parse_letter(partition: int, dead_id: str, fields: dict[bytes, bytes]) -> DeadLetter:
    """A dead stream's entry, as :func:`letter_fields` wrote it."""
    original = {k[len(PREFIX) :]: v for k, v in fields.items() if k.startswith(PREFIX)}
    return DeadLetter(
        dead_id=dead_id,
        partition=partition,
        group=_text(fields.get(b"group")),
        entry=Entry(_text(fields.get(b"stream")), _text(fields.get(b"id")), original),
        error=_text(fields.get(b"error")),
        deliveries=int(fields.get(b"deliveries") or 0),
    )
