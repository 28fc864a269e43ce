"""Standings from one read of the board: ranks, neighbours, and what counts as news."""

from __future__ import annotations

import msgspec

from quizboard.core.leaderboard import LeaderboardEntry
from quizboard.core.ranks import competition_ranks
from quizboard.core.standings import (
    StandingMessage,
    neighbours_of,
    standings,
    unchanged,
)

BOARD = [("a", 30), ("b", 20), ("c", 20), ("d", 10), ("e", 0)]


def entry(player: str, rank: int) -> LeaderboardEntry:
    return LeaderboardEntry(rank, player, player.upper(), dict(BOARD)[player])


def test_a_whole_board_ranks_as_competition_ranks() -> None:
    found = standings(1, BOARD, {p for p, _ in BOARD}, str.upper, around=0, as_of="")
    assert [found[p].rank for p, _ in BOARD] == [1, 2, 2, 4, 5]
    assert [found[p].rank for p, _ in BOARD] == competition_ranks([s for _, s in BOARD], 0, 1)


def test_each_player_gets_its_rank_and_neighbours_and_none_off_the_board() -> None:
    found = standings(1, BOARD, {"a", "c", "e", "gone"}, str.upper, around=1, as_of="9-0")
    assert set(found) == {"a", "c", "e"}
    assert found["a"].around == [entry("a", 1), entry("b", 2)]  # the top has none above
    assert found["c"] == StandingMessage(
        1, "c", 2, 20, 5, [entry("b", 2), entry("c", 2), entry("d", 4)], "9-0"
    )
    assert found["e"].around == [entry("d", 4), entry("e", 5)]
    assert msgspec.json.decode(msgspec.json.encode(found["c"]))["type"] == "standing"


def test_names_are_read_for_the_rows_shown_only() -> None:
    assert neighbours_of(BOARD, {"a"}, 1) == {"a", "b"}
    assert neighbours_of(BOARD, {"d"}, 1) == {"c", "d", "e"}
    assert neighbours_of(BOARD, set(), 1) == set()


def test_news_is_a_new_rank_score_neighbour_or_player_count() -> None:
    first = standings(1, BOARD, {"c"}, str.upper, around=1, as_of="1-0")["c"]
    later = msgspec.structs.replace(first, as_of="2-0")
    assert unchanged(first, later)
    assert not unchanged(None, first)
    assert not unchanged(first, msgspec.structs.replace(first, rank=3))
    assert not unchanged(first, msgspec.structs.replace(first, total_players=6))
    assert not unchanged(first, msgspec.structs.replace(first, around=first.around[:2]))
