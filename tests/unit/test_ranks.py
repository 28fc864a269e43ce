from __future__ import annotations

from quizboard.core.ranks import competition_ranks


def test_ties_share_a_rank_and_the_next_rank_skips() -> None:
    assert competition_ranks([300, 200, 200, 100], offset=0, first_rank=1) == [1, 2, 2, 4]


def test_a_page_that_starts_inside_a_tie_keeps_the_tie_rank() -> None:
    # The whole board is 300, 200, 200, 200, 100; this page starts at offset 2.
    assert competition_ranks([200, 200, 100], offset=2, first_rank=2) == [2, 2, 5]


def test_all_equal() -> None:
    assert competition_ranks([0, 0, 0], offset=0, first_rank=1) == [1, 1, 1]


def test_empty_page() -> None:
    assert competition_ranks([], offset=10, first_rank=1) == []
