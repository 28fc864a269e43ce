"""The leaderboard's shapes: a page of the board, a player's standing, and the message
the gateway sends, made from a snapshot by :func:`snapshot_message` alone."""

from __future__ import annotations

import msgspec
from msgspec import Struct


class LeaderboardEntry(Struct, frozen=True):
    """One player's place on the board."""

    rank: int
    player_id: str
    display_name: str
    score: int


class Snapshot(Struct, frozen=True):
    """A page of the board; ``as_of`` is the last answer event applied to it."""

    quiz_id: int
    version: int
    as_of: str
    total_players: int
    entries: list[LeaderboardEntry]


SNAPSHOT_TYPE = "leaderboard"  # a snapshot message's ``type``


class LeaderboardMessage(Snapshot, frozen=True, tag_field="type", tag=SNAPSHOT_TYPE):
    """A snapshot as the gateway sends it: the same object with ``"type": "leaderboard"``."""


class Standing(Struct, frozen=True, omit_defaults=True):
    """One player's rank and score; ``rank`` is ``None`` until the player is on the board.

    ``around`` holds the player's neighbours on the board when asked for (``?around=N``:
    up to N entries above and N below, the player's own row among them).
    """

    rank: int | None
    score: int
    total_players: int
    around: list[LeaderboardEntry] = msgspec.field(default_factory=list)


MESSAGE_ENCODER = msgspec.json.Encoder()


def snapshot_message(snapshot: Snapshot) -> bytes:
    """``snapshot`` as the gateway sends it, encoded: the publisher and the gateway both
    make their messages here."""
    message = LeaderboardMessage(
        quiz_id=snapshot.quiz_id,
        version=snapshot.version,
        as_of=snapshot.as_of,
        total_players=snapshot.total_players,
        entries=snapshot.entries,
    )
    return MESSAGE_ENCODER.encode(message)


def empty_snapshot(quiz_id: int) -> Snapshot:
    """The board of a quiz no one has joined yet."""
    return Snapshot(quiz_id=quiz_id, version=0, as_of="", total_players=0, entries=[])
