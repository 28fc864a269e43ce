"""Reading a team quiz's board: its teams' points and members, at one instant."""

from __future__ import annotations

from quizboard.core.keys import Keys
from quizboard.core.models import QuizConfig
from quizboard.core.teams import TeamBoard, team_board
from quizboard.store.connections import Redis, text


async def read_team_board(
    redis: Redis, keys: Keys, config: QuizConfig, version: int | None = None
) -> TeamBoard:
    """The team board as the scripts keep it; empty for a quiz without teams. It carries
    ``version`` (the snapshot's it is published with), or else the last snapshot's."""
    quiz = keys.quiz(config.partition, config.id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zrange(quiz.team_board, 0, -1, withscores=True)
        pipe.zrange(quiz.team_sizes, 0, -1, withscores=True)
        pipe.get(quiz.lb_version)
        rows, sizes, last = await pipe.execute()
    totals = {int(text(team)): int(points) for team, points in rows}
    members = {int(text(team)): int(n) for team, n in sizes}
    version = int(last or 0) if version is None else version
    return team_board(config.id, version, config.teams, totals, members, config.team_score)
