"""The host's control of a room: who was removed from it, and the messages that say so.

A host may *kick* a player (its token is refused from then on; an app's user may
join again, and comes back with the points it had) or *ban* one (refused for good,
so an app's user cannot join again), and may lock the lobby. A removed player is
off the board, its score counts in no rank and no player count, and its answers
stay in PostgreSQL, marked by the row that records the removal.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

Removal = Literal["kick", "ban"]
REMOVED_TYPE = "player_removed"
#: The close code a removed player's WebSocket gets (4000-4999: the application's).
REMOVED_CLOSE_CODE = 4001


class PlayerRemoved(Struct, frozen=True, tag_field="type", tag=REMOVED_TYPE):
    """On the quiz's channel: the host removed a player. The gateway closes that
    player's sockets and tells the room."""

    quiz_id: int
    player_id: str
    reason: Removal


class Rename(Struct, forbid_unknown_fields=True):
    """The body of ``POST /quizzes/{id}/players/{player_id}/name``."""

    display_name: Annotated[str, Meta(min_length=1, max_length=64)]


class RoomPlayer(Struct, frozen=True, omit_defaults=True):
    """A player as the host's list shows it: in a team quiz with its team's name;
    ``removed`` says how it left."""

    player_id: str
    display_name: str
    score: int
    team: str | None = None
    removed: Removal | None = None


class RoomState(Struct, frozen=True):
    """``GET /quizzes/{id}/players``: the room as its host sees it: how many players it
    has, the best of them in board order, and those the host removed."""

    quiz_id: int
    locked: bool
    late_join: bool
    total_players: int
    players: list[RoomPlayer]
