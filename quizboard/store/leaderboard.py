"""Reading a quiz's leaderboard from its sorted set, with competition ranks."""

from __future__ import annotations

from quizboard.core.keys import Keys
from quizboard.core.leaderboard import LeaderboardEntry, Snapshot, Standing
from quizboard.core.ranks import competition_ranks
from quizboard.store.connections import Redis, text


async def read_snapshot(
    redis: Redis,
    keys: Keys,
    partition: int,
    quiz_id: int,
    *,
    limit: int,
    offset: int = 0,
    new_version: bool = False,
) -> Snapshot:
    """A page of ``limit`` entries from ``offset``, read consistently in one MULTI.

    With ``new_version`` the quiz's version counter is bumped in the same MULTI,
    so every published snapshot has a version of its own, and a later one a
    higher one.
    """
    quiz = keys.quiz(partition, quiz_id)
    board = quiz.leaderboard
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrevrange(board, offset, offset + limit - 1, withscores=True)
        pipe.zcard(board)
        if new_version:
            pipe.incr(quiz.lb_version)
        else:
            pipe.get(quiz.lb_version)
        pipe.get(quiz.lb_as_of)
        rows, total, version, as_of = await pipe.execute()
    entries: list[LeaderboardEntry] = []
    if rows:
        players = [text(member) for member, _ in rows]
        scores = [int(score) for _, score in rows]
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zcount(board, f"({scores[0]}", "+inf")
            pipe.hmget(quiz.players, players)
            higher, names = await pipe.execute()
        ranks = competition_ranks(scores, offset, int(higher) + 1)
        entries = [
            LeaderboardEntry(rank, player, text(name), score)
            for rank, player, name, score in zip(ranks, players, names, scores, strict=True)
        ]
    return Snapshot(
        quiz_id=quiz_id,
        version=int(version or 0),
        as_of=text(as_of),
        total_players=int(total),
        entries=entries,
    )


async def read_standing(
    redis: Redis, keys: Keys, partition: int, quiz_id: int, player_id: str, around: int = 0
) -> Standing:
    """One player's competition rank, score, and the number of players; with ``around``,
    the entries up to ``around`` places above and below the player's own."""
    board = keys.quiz(partition, quiz_id).leaderboard
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zscore(board, player_id)
        pipe.zcard(board)
        pipe.zrevrank(board, player_id)
        score, total, position = await pipe.execute()
    if score is None:
        return Standing(rank=None, score=0, total_players=int(total))
    higher = await redis.zcount(board, f"({int(score)}", "+inf")
    neighbours: list[LeaderboardEntry] = []
    if around > 0 and position is not None:
        start = max(0, int(position) - around)
        page = await read_snapshot(
            redis, keys, partition, quiz_id, limit=int(position) - start + around + 1,
            offset=start,
        )  # fmt: skip
        neighbours = page.entries
    return Standing(
        rank=int(higher) + 1, score=int(score), total_players=int(total), around=neighbours
    )
