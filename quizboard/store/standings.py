"""Reading a whole board for the gateway's standings: one MULTI on the quiz's node.

The gateway pushes each watching player its own standing after a snapshot (see
:mod:`quizboard.core.standings`). Reading every entry once costs one round trip
and O(board) bytes, however many of the room's players watch: for a room of
5,000 players on a board of 5,000 that is about 150 KB per snapshot, against
5,000 ``/leaderboard/me`` requests. Names come from the players hash for just
the entries shown, and a caller keeps those it has.
"""

from __future__ import annotations

from collections.abc import Collection

from quizboard.core.keys import Keys
from quizboard.store.connections import Redis, text


async def read_board(
    redis: Redis, keys: Keys, partition: int, quiz_id: int
) -> tuple[list[tuple[str, int]], str]:
    """Every entry of the board, high to low as ``ZREVRANGE`` orders them, and the last
    answer applied to it (``as_of``), read at one instant."""
    quiz = keys.quiz(partition, quiz_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrevrange(quiz.leaderboard, 0, -1, withscores=True)
        pipe.get(quiz.lb_as_of)
        rows, as_of = await pipe.execute()
    return [(text(member), int(score)) for member, score in rows], text(as_of)


async def read_names(
    redis: Redis, keys: Keys, partition: int, quiz_id: int, players: Collection[str]
) -> dict[str, str]:
    """The display names of ``players`` ("" for one not recorded, as on the board)."""
    if not players:
        return {}
    wanted = list(players)
    names = await redis.hmget(keys.quiz(partition, quiz_id).players, wanted)
    return {p: text(n) for p, n in zip(wanted, names, strict=True)}
