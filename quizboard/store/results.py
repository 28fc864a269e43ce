"""A quiz's results read from PostgreSQL: what stays once its Redis keys are gone.

The player rows are read through a server-side cursor, a page at a time, so a
quiz of any size exports in bounded memory. The leaderboard of an ended quiz
whose Redis keys expired is read here too, in the shape the board has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from quizboard.core.leaderboard import LeaderboardEntry, Snapshot, Standing
from quizboard.core.models import QuizConfig
from quizboard.core.results import PlayerResult, QuestionResult, csv_lines, question_result
from quizboard.store.connections import Pool

PAGE = 2000
ENCODER = msgspec.json.Encoder()

# Every player who joined, or answered (the joins-db rows may lag), with their totals;
# not those the host removed.
# Ties rank together; among equals, the order is the board's (player id, descending).
PLAYERS = """
WITH scores AS (
    SELECT player_id, sum(points)::bigint AS score,
           count(*) FILTER (WHERE correct)::int AS correct, count(*)::int AS answered,
           min(answered_at) AS first_at, max(answered_at) AS last_at
    FROM user_answer WHERE quiz_id = %(quiz)s GROUP BY player_id
), players AS (
    SELECT coalesce(j.player_id, s.player_id) AS player_id,
           coalesce(j.display_name, '') AS display_name,
           coalesce(s.score, 0) AS score, coalesce(s.correct, 0) AS correct,
           coalesce(s.answered, 0) AS answered, s.first_at, s.last_at,
           (SELECT teams ->> j.team FROM quizzes WHERE id = %(quiz)s) AS team
    FROM (SELECT player_id, display_name, team FROM user_quiz WHERE quiz_id = %(quiz)s) j
    FULL JOIN scores s ON s.player_id = j.player_id
)
SELECT rank() OVER (ORDER BY score DESC)::int AS rank, player_id, display_name, score,
       correct, answered, first_at, last_at, team
FROM players p
WHERE NOT EXISTS (SELECT 1 FROM removed_players r  -- the host removed them
                  WHERE r.quiz_id = %(quiz)s AND r.player_id = p.player_id)
ORDER BY score DESC, player_id DESC
"""
# One player's row and its neighbours: positions in the board's order.
STANDING = f"""
WITH ranked AS (
    SELECT row_number() OVER (ORDER BY score DESC, player_id DESC) - 1 AS pos, *
    FROM ({PLAYERS}) p
), mine AS (SELECT pos FROM ranked WHERE player_id = %(player)s)
SELECT rank, player_id, display_name, score, player_id = %(player)s,
       (SELECT count(*) FROM ranked)
FROM ranked, mine WHERE ranked.pos BETWEEN mine.pos - %(around)s AND mine.pos + %(around)s
ORDER BY ranked.pos
"""
COUNTS = """
SELECT question_id, answer, count(*)::int, count(*) FILTER (WHERE correct)::int
FROM user_answer WHERE quiz_id = %s GROUP BY question_id, answer
"""
COUNT_PLAYERS = f"SELECT count(*) FROM ({PLAYERS}) p"
LAST_EVENT = """
SELECT event_id FROM user_answer WHERE quiz_id = %s
ORDER BY split_part(event_id, '-', 1)::bigint DESC, split_part(event_id, '-', 2)::bigint DESC
LIMIT 1
"""


async def player_results(pool: Pool, quiz_id: int) -> AsyncIterator[list[PlayerResult]]:
    """Every player's results in rank order, a page at a time."""
    async with (
        pool.connection() as conn,
        conn.transaction(),
        conn.cursor(name=f"results-{quiz_id}") as cursor,
    ):
        await cursor.execute(PLAYERS, {"quiz": quiz_id})
        while rows := await cursor.fetchmany(PAGE):
            yield [PlayerResult(*row) for row in rows]


async def question_results(pool: Pool, config: QuizConfig) -> list[QuestionResult]:
    """Each question's answers: how many, the share right, the distribution."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    right: dict[int, int] = defaultdict(int)
    async with pool.connection() as conn:
        cursor = await conn.execute(COUNTS, (config.id,))
        for question_id, answer, n, correct in await cursor.fetchall():
            counts[question_id][answer] = n
            right[question_id] += correct
    return [question_result(q, counts[q.id], right[q.id]) for q in config.questions]


async def stored_board(pool: Pool, quiz_id: int, *, limit: int, offset: int = 0) -> Snapshot:
    """A page of the board as PostgreSQL has it; ``as_of`` the last stored answer."""
    async with pool.connection() as conn:
        page = await conn.execute(
            f"{PLAYERS} LIMIT %(limit)s OFFSET %(offset)s",
            {"quiz": quiz_id, "limit": limit, "offset": offset},
        )
        rows = await page.fetchall()
        total = await _one(conn, COUNT_PLAYERS, {"quiz": quiz_id})
        last = await (await conn.execute(LAST_EVENT, (quiz_id,))).fetchone()
    entries = [LeaderboardEntry(rank, player, name, int(score))
               for rank, player, name, score, *_ in rows]  # fmt: skip
    return Snapshot(quiz_id, 0, last[0] if last else "", int(total), entries)


async def stored_standing(pool: Pool, quiz_id: int, player_id: str, around: int) -> Standing:
    """One player's rank and score as PostgreSQL has them, with ``around`` neighbours."""
    params = {"quiz": quiz_id, "player": player_id, "around": around}
    async with pool.connection() as conn:
        rows = await (await conn.execute(STANDING, params)).fetchall()
        if not rows:
            total = await _one(conn, COUNT_PLAYERS, {"quiz": quiz_id})
            return Standing(rank=None, score=0, total_players=int(total))
    me = next(row for row in rows if row[4])
    neighbours = [LeaderboardEntry(r[0], r[1], r[2], int(r[3])) for r in rows] if around else []
    return Standing(rank=me[0], score=int(me[3]), total_players=int(me[5]), around=neighbours)


async def count_players(pool: Pool, quiz_id: int) -> int:
    """How many players the results list."""
    async with pool.connection() as conn:
        return int(await _one(conn, COUNT_PLAYERS, {"quiz": quiz_id}))


async def _one(conn: Any, sql: str, params: Any) -> Any:
    row = await (await conn.execute(sql, params)).fetchone()
    return row[0] if row else 0


async def csv_stream(
    pool: Pool, quiz_id: int, on_rows: Callable[[int], object] = lambda rows: None
) -> AsyncIterator[bytes]:
    """The players' rows as CSV, a page at a time, after the header; ``on_rows`` hears
    how many rows each page held."""
    header = True
    async for page in player_results(pool, quiz_id):
        yield csv_lines(page, header=header).encode()
        on_rows(len(page))
        header = False
    if header:  # no players at all: the header alone
        yield csv_lines([], header=True).encode()


async def json_stream(
    pool: Pool,
    config: QuizConfig,
    questions: list[QuestionResult],
    on_rows: Callable[[int], object] = lambda rows: None,
) -> AsyncIterator[bytes]:
    """:class:`~quizboard.core.results.QuizResults` as JSON, the players a page at a time."""
    head = {"quiz_id": config.id, "title": config.title, "mode": config.mode}
    yield ENCODER.encode(head)[:-1] + b',"questions":' + ENCODER.encode(questions)
    yield b',"players":['
    first = True
    async for page in player_results(pool, config.id):
        body = b",".join(ENCODER.encode(row) for row in page)
        yield body if first else b"," + body
        on_rows(len(page))
        first = False
    yield b"]}"
