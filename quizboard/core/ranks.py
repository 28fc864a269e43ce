"""Standard competition ranks (1, 2, 2, 4) over a page of a sorted leaderboard."""

from __future__ import annotations

from collections.abc import Sequence


def competition_ranks(scores: Sequence[float], offset: int, first_rank: int) -> list[int]:
    """Ranks of a page of scores sorted from high to low.

    ``offset`` is the position of the page's first entry in the whole board and
    ``first_rank`` that entry's rank (1 + the number of strictly higher scores).
    An entry that differs from its predecessor ranks after everyone before it.
    """
    ranks: list[int] = []
    for index, score in enumerate(scores):
        if index == 0:
            ranks.append(first_rank)
        elif score == scores[index - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(offset + index + 1)
    return ranks
