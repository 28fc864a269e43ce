"""The team board: teams ranked by their members' mean score, or by their total.

The scripts that score players keep each team's members' points and its member
count (a removed player's left out); this ranks them as the quiz says, with the
competition ranks the player board uses (equal scores share a rank).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from msgspec import Struct

from quizboard.core.models import TeamScore

TEAM_BOARD_TYPE = "team_leaderboard"


class TeamEntry(Struct, frozen=True):
    """One team on the board: its ``score`` is its mean or its total, as the quiz ranks."""

    rank: int
    team: int
    name: str
    members: int
    total: int
    score: float


class TeamBoard(Struct, frozen=True, tag_field="type", tag=TEAM_BOARD_TYPE):
    """``GET /quizzes/{id}/teams``, and the message of that type. ``version`` is that of
    the player board's snapshot it was published with (the last one, for the route)."""

    quiz_id: int
    version: int
    ranked_by: TeamScore
    entries: list[TeamEntry]


def team_board(quiz_id: int, version: int, names: Sequence[str], totals: Mapping[int, int],
               members: Mapping[int, int], ranked_by: TeamScore) -> TeamBoard:  # fmt: skip
    """Every team, best first (ties in team order), with competition ranks."""
    rows = []
    for team, name in enumerate(names):
        total, size = totals.get(team, 0), members.get(team, 0)
        score = total if ranked_by == "total" else (round(total / size, 2) if size else 0.0)
        rows.append((team, name, size, total, float(score)))
    rows.sort(key=lambda row: (-row[4], row[0]))
    entries: list[TeamEntry] = []
    for position, (team, name, size, total, score) in enumerate(rows):
        tied = position and rows[position - 1][4] == score
        rank = entries[-1].rank if tied else position + 1
        entries.append(TeamEntry(rank, team, name, size, total, score))
    return TeamBoard(quiz_id, version, ranked_by, entries)
