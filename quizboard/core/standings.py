"""Each watching player's own standing, computed for many players from one read of the
board: the ``standing`` message the gateway pushes instead of a ``/leaderboard/me``
request per player per snapshot.

The board is read whole, in the order ``ZREVRANGE`` gives (score high to low, ties
by member, high to low), the order ``/leaderboard/me`` reads its neighbours in; one
pass gives every entry its competition rank (1, 2, 2, 4), and each player's
neighbours are the entries beside its own. So a standing equals what
``/leaderboard/me?around=N`` answers for the same ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import msgspec
from msgspec import Struct

from quizboard.core.leaderboard import LeaderboardEntry
from quizboard.core.ranks import competition_ranks

STANDING_TYPE = "standing"


class StandingMessage(Struct, frozen=True, tag_field="type", tag=STANDING_TYPE):
    """One player's place, sent to that player's connections only.

    ``around`` holds the entries up to N places above and below, the player's own row
    among them; ``as_of`` is the last answer applied to the board that was read.
    """

    quiz_id: int
    player_id: str
    rank: int
    score: int
    total_players: int
    around: list[LeaderboardEntry]
    as_of: str


ENCODER = msgspec.json.Encoder()


def standings(
    quiz_id: int,
    board: Sequence[tuple[str, int]],
    players: Collection[str],
    name_of: Callable[[str], str],
    *,
    around: int,
    as_of: str,
) -> dict[str, StandingMessage]:
    """The standing of each of ``players`` on ``board`` (every entry, high to low), with
    ``around`` neighbours each side; a player not on the board gets none."""
    wanted = set(players)
    ranks = competition_ranks([score for _, score in board], 0, 1)
    total = len(board)
    # Each entry is built once, and a player's neighbours are a slice of them: the
    # board was read whole anyway, and this is 2x faster than building three entries
    # per player (10,000 players: 11 against 25 ms).
    entries = [
        LeaderboardEntry(r, p, name_of(p), s) for r, (p, s) in zip(ranks, board, strict=True)
    ]
    found: dict[str, StandingMessage] = {}
    for position, (player, score) in enumerate(board):
        if player in wanted:
            neighbours = entries[max(0, position - around) : position + around + 1]
            found[player] = StandingMessage(
                quiz_id, player, ranks[position], score, total, neighbours, as_of
            )
    return found


def neighbours_of(
    board: Sequence[tuple[str, int]], players: Collection[str], around: int
) -> set[str]:
    """Everyone whose name the standings of ``players`` show: they and their neighbours."""
    wanted = set(players)
    shown: set[str] = set()
    for position, (player, _) in enumerate(board):
        if player in wanted:
            shown.update(p for p, _ in board[max(0, position - around) : position + around + 1])
    return shown


def unchanged(before: StandingMessage | None, now: StandingMessage) -> bool:
    """Whether a player's standing is the one it was last sent: rank, score, neighbours
    and the player count ("3rd of 14" is stale once a 15th joins). A new ``as_of``
    alone is no news."""
    return (
        before is not None
        and before.rank == now.rank
        and before.score == now.score
        and before.total_players == now.total_players
        and before.around == now.around
    )
