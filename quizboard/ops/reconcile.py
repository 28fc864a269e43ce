"""``quizboard reconcile``: check one quiz end to end, and rebuild its leaderboard.

What the API accepted is the quiz's answered-marks hash: one field per accepted
answer (``player:question``), holding the event id. Reconcile compares it with
``user_answer``, ``user_quiz`` and the sorted set, and says every difference in
plain words. PostgreSQL is the source of truth: ``--fix`` rebuilds the sorted
set from ``user_answer`` and ``user_quiz``.

A quiz may be checked while it runs. An answer that some group on the stream
may not have applied yet (at or after the oldest entry a group still holds) is
in flight, not a difference: it is counted and checked on a later run. So are
its player's score, and the joins while a join group has work queued. A team
quiz's team board is checked too (each team's members and points, and each
player's team) once nothing is in flight, and rebuilt with the board.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from psycopg.rows import dict_row

from quizboard.core.keys import ANSWERS, JOINS, Keys
from quizboard.core.models import QuizConfig
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import Pool, Redis, pg_pool, redis_for, text
from quizboard.store.stream_state import GroupStatus, stream_status

StreamId = tuple[int, int]


def stream_id(entry_id: str) -> StreamId:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass
class QuizState:
    """Everything reconcile compares, for one quiz."""

    quiz_id: int
    accepted: dict[tuple[str, int], str] = field(default_factory=dict)  # (player, q) -> event
    rows: dict[tuple[str, int], int] = field(default_factory=dict)  # (player, q) -> points
    players: dict[str, str] = field(default_factory=dict)  # user_quiz: player -> name
    board: dict[str, int] = field(default_factory=dict)  # sorted set: player -> score
    removed: dict[str, str] = field(default_factory=dict)  # Redis: player -> kick or ban
    held: dict[str, int] = field(default_factory=dict)  # a removed player's points
    recorded: dict[str, str] = field(default_factory=dict)  # removed_players: the same
    teams: dict[str, int] = field(default_factory=dict)  # user_quiz: player -> its team
    team_of: dict[str, int] = field(default_factory=dict)  # Redis: the same
    team_board: dict[int, int] = field(default_factory=dict)  # Redis: team -> its points
    team_sizes: dict[int, int] = field(default_factory=dict)  # Redis: team -> its members
    backlog: dict[str, int] = field(default_factory=dict)  # group -> entries not yet applied
    answers_from: StreamId | None = None  # the oldest answer some group may still apply
    joins_queued: bool = False  # whether a join group has entries still to apply


def unapplied_from(groups: list[GroupStatus]) -> StreamId | None:
    """The oldest entry that some group may still have to apply: its oldest pending
    entry, or the one after the last it read; ``None`` when every group is done."""
    bounds = []
    for group in groups:
        if group.oldest_pending is not None:
            bounds.append(stream_id(group.oldest_pending))
        elif group.lag:
            ms, seq = stream_id(group.last_delivered)
            bounds.append((ms, seq + 1))
    return min(bounds, default=None)


def in_flight(state: QuizState) -> tuple[set[tuple[str, int]], set[str]]:
    """The accepted answers some group may still apply, and the players they score."""
    start = state.answers_from
    if start is None:
        return set(), set()
    answers = {key for key, event in state.accepted.items() if stream_id(event) >= start}
    return answers, {player for player, _ in answers}


def _sample(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def differences(state: QuizState) -> list[str]:
    """Every way the stores disagree, in plain words, leaving out what is still in
    flight; empty when they agree."""
    found: list[str] = []
    answers, players = in_flight(state)
    missing = sorted(f"{p}:{q}" for p, q in state.accepted.keys() - state.rows.keys() - answers)
    if missing:
        found.append(f"{len(missing)} accepted answers have no user_answer row: {_sample(missing)}")
    unknown = sorted(f"{p}:{q}" for p, q in state.rows.keys() - state.accepted.keys())
    if unknown and state.accepted:
        found.append(
            f"{len(unknown)} user_answer rows match no accepted answer: {_sample(unknown)}"
        )
    totals: dict[str, int] = defaultdict(int)
    for (player, _), points in state.rows.items():
        totals[player] += points
    for player in state.players:
        totals.setdefault(player, 0)
    wrong = sorted(
        f"{p} (board {state.board.get(p, 'absent')}, user_answer {total})"
        for p, total in totals.items()
        if p not in state.removed
        and state.board.get(p) != total
        and p not in players
        and not (state.joins_queued and p not in state.board)  # a join on its way there
    )
    if wrong:
        found.append(f"{len(wrong)} players' scores differ from user_answer: {_sample(wrong)}")
    found += _removals(state, totals, players)
    if not state.joins_queued and not answers:
        found += _team_differences(state, totals)
    if state.joins_queued:
        return found  # a join may be on the board, or in user_quiz, and not yet in the other
    extra = sorted(set(state.board) - set(totals))
    if extra:
        found.append(
            f"{len(extra)} players on the board have no join and no answer: {_sample(extra)}"
        )
    orphans = sorted({p for p, _ in state.rows} - set(state.players))
    if orphans:
        found.append(
            f"{len(orphans)} players answered but have no user_quiz row: {_sample(orphans)}"
        )
    return found


def _removals(state: QuizState, totals: dict[str, int], in_flight: set[str]) -> list[str]:
    """The players the host removed: off the board, their points held, and recorded in
    PostgreSQL as Redis has them."""
    found = []
    shown = sorted(set(state.removed) & set(state.board))
    if shown:
        found.append(f"{len(shown)} removed players are on the board: {_sample(shown)}")
    held = sorted(
        f"{p} (held {state.held.get(p, 0)}, user_answer {totals.get(p, 0)})"
        for p in state.removed
        if state.held.get(p, 0) != totals.get(p, 0) and p not in in_flight
    )
    if held:
        found.append(f"{len(held)} removed players' held points differ: {_sample(held)}")
    if state.removed != state.recorded:
        differ = sorted(state.removed.keys() ^ state.recorded.keys()) or sorted(state.removed)
        found.append(f"removals differ between Redis and removed_players: {_sample(differ)}")
    return found


def team_totals(state: QuizState, totals: dict[str, int]) -> tuple[dict[int, int], dict[int, int]]:
    """PostgreSQL's team board: each team's points and members, the removed left out."""
    points: dict[int, int] = defaultdict(int)
    members: dict[int, int] = defaultdict(int)
    for player, team in state.teams.items():
        if player not in state.removed:
            points[team] += totals.get(player, 0)
            members[team] += 1
    return dict(points), dict(members)


def _team_differences(state: QuizState, totals: dict[str, int]) -> list[str]:
    """A team quiz's team board against PostgreSQL's sums, and each player's team."""
    found = []
    points, members = team_totals(state, totals)
    teams = sorted(points.keys() | state.team_board.keys() | state.team_sizes.keys())
    wrong = [
        f"team {t} (board {state.team_board.get(t, 0)} points of {state.team_sizes.get(t, 0)}"
        f" players, PostgreSQL {points.get(t, 0)} of {members.get(t, 0)})"
        for t in teams
        if (state.team_board.get(t, 0), state.team_sizes.get(t, 0))
        != (points.get(t, 0), members.get(t, 0))
    ]
    if wrong:
        found.append(f"{len(wrong)} teams differ from PostgreSQL's sums: {_sample(wrong)}")
    moved = sorted(p for p, team in state.teams.items() if state.team_of.get(p) != team)
    if moved:
        found.append(f"{len(moved)} players' teams differ from user_quiz: {_sample(moved)}")
    return found


async def load_state(redis: Redis, pool: Pool, keys: Keys, config: QuizConfig) -> QuizState:
    """Read the quiz from every store."""
    q = config.id
    quiz = keys.quiz(config.partition, q)
    state = QuizState(q)
    marks = await redis.hgetall(quiz.answered)
    for mark, event in marks.items():
        player, _, question = text(mark).rpartition(":")
        state.accepted[(player, int(question))] = text(event)
    board: list[tuple[bytes, float]] = await redis.zrange(  # type: ignore[assignment]
        quiz.leaderboard, 0, -1, withscores=True
    )
    state.board = {text(member): int(score) for member, score in board}
    state.removed = {text(p): text(r) for p, r in (await redis.hgetall(quiz.removed)).items()}
    held = {text(p): text(v) for p, v in (await redis.hgetall(quiz.held)).items()}
    state.held = {p: int(held.get(p) or 0) for p in state.removed}
    state.team_of = {text(p): int(t) for p, t in (await redis.hgetall(quiz.team_of)).items()}
    team_board: list[tuple[bytes, float]] = await redis.zrange(  # type: ignore[assignment]
        quiz.team_board, 0, -1, withscores=True
    )
    state.team_board = {int(text(t)): int(points) for t, points in team_board}
    sizes: list[tuple[bytes, float]] = await redis.zrange(  # type: ignore[assignment]
        quiz.team_sizes, 0, -1, withscores=True
    )
    state.team_sizes = {int(text(t)): int(n) for t, n in sizes if int(n)}
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(
            "SELECT player_id::text AS player, question_id, points FROM user_answer"
            " WHERE quiz_id = %s",
            (q,),
        )
        state.rows = {(r["player"], r["question_id"]): r["points"] for r in await cursor.fetchall()}
        await cursor.execute(
            "SELECT player_id::text AS player, display_name, team FROM user_quiz"
            " WHERE quiz_id = %s",
            (q,),
        )
        joined = await cursor.fetchall()
        state.players = {r["player"]: r["display_name"] for r in joined}
        state.teams = {r["player"]: r["team"] for r in joined if r["team"] is not None}
        await cursor.execute(
            "SELECT player_id, reason FROM removed_players WHERE quiz_id = %s", (q,)
        )
        state.recorded = {r["player_id"]: r["reason"] for r in await cursor.fetchall()}
    joins = await _groups(redis, keys.stream(config.partition, JOINS))
    answers = await _groups(redis, keys.stream(config.partition, ANSWERS))
    state.backlog = {g.name: g.pending + g.lag for g in joins + answers}
    state.answers_from = unapplied_from(answers)
    state.joins_queued = unapplied_from(joins) is not None
    return state


async def _groups(redis: Redis, stream: str) -> list[GroupStatus]:
    if not await redis.exists(stream):
        return []
    return (await stream_status(redis, stream)).groups


async def rebuild_board(redis: Redis, keys: Keys, config: QuizConfig, state: QuizState) -> None:
    """Replace the sorted set and the names (and a team quiz's team board) with what
    PostgreSQL holds, atomically."""
    totals: dict[str, int] = dict.fromkeys(state.players, 0)
    for (player, _), points in state.rows.items():
        totals[player] = totals.get(player, 0) + points
    for player in state.removed:  # they stay off the board
        totals.pop(player, None)
    quiz = keys.quiz(config.partition, config.id)
    board, names = quiz.leaderboard, quiz.players
    rebuilt = board + ":rebuild"  # same hash tag, so RENAME stays in one slot
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(rebuilt)
        if totals:
            pipe.zadd(rebuilt, totals)
            pipe.rename(rebuilt, board)
        else:
            pipe.delete(board)
        kept = {p: name for p, name in state.players.items() if p not in state.removed}
        if kept:
            pipe.hset(names, mapping=kept)  # type: ignore[arg-type]
        if config.teams:
            team_points, members = team_totals(state, totals)
            pipe.delete(quiz.team_board, quiz.team_sizes, quiz.team_of)
            if team_points:
                pipe.zadd(quiz.team_board, {str(t): n for t, n in team_points.items()})
            sizes = {f"{t:02d}": members.get(t, 0) for t in range(len(config.teams))}
            pipe.zadd(quiz.team_sizes, sizes)
            if state.teams:
                pipe.hset(quiz.team_of, mapping=state.teams)  # type: ignore[arg-type]
        await pipe.execute()


async def run_reconcile(
    settings: Settings, quiz_id: int, *, fix: bool, echo: Callable[[str], None]
) -> int:
    """The ``reconcile`` command: 0 when the stores agree (after ``--fix``), 1 otherwise."""
    keys = Keys(settings.key_prefix)
    async with redis_for(settings) as redis, pg_pool(settings.database_url) as pool:
        config = await QuizCatalog(pool, redis, keys, settings.partitions).get(quiz_id)
        state = await load_state(redis, pool, keys, config)
        found = differences(state)
        waiting = {group: n for group, n in state.backlog.items() if n}
        echo(
            f"quiz {quiz_id}: {len(state.accepted)} accepted answers, {len(state.rows)} "
            f"user_answer rows, {len(state.players)} players, {len(state.board)} on the board"
        )
        if waiting:
            echo("still to apply: " + ", ".join(f"{g} {n}" for g, n in sorted(waiting.items())))
        answers, players = in_flight(state)
        if answers:
            echo(
                f"in flight: {len(answers)} answers of {len(players)} players, checked once"
                " every group has applied them"
            )
        for line in found:
            echo(f"DIFFERENCE: {line}")
        if not found:
            echo("consistent so far: the answers in flight are still to check" if answers
                 else "consistent")  # fmt: skip
            return 0
        if not fix:
            return 1
        if waiting:
            echo("not fixing while the groups have work queued; run again once they drain")
            return 1
        await rebuild_board(redis, keys, config, state)
        after = differences(await load_state(redis, pool, keys, config))
        for line in after:
            echo(f"STILL DIFFERENT: {line}")
        echo("leaderboard rebuilt from PostgreSQL" + ("" if not after else "; differences remain"))
        return 1 if after else 0
