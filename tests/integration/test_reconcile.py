"""``quizboard reconcile`` finds what differs, and ``--fix`` rebuilds the board."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis

from quizboard.settings import Settings
from tests.support.processes import quizboard
from tests.support.quizzes import ADMIN_AUTH, quiz_body
from tests.support.stack import Workers
from tests.support.steps import KEYS, answer, count, create_quiz, eventually, join


async def test_reconcile_reports_and_fixes(
    api: httpx.AsyncClient,
    workers: Workers,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], name) for name in ("Ann", "Bo", "Cy")]
    for player in players[:2]:
        for index in range(3):
            await answer(api, quiz, player, index)

    async def settled() -> bool:
        rows = await count(db, "SELECT count(*) FROM user_answer")
        board = await redis.zcard(f"{KEYS.tag(quiz['partition'])}quiz:{quiz['id']}:lb")
        return rows == 6 and board == 3

    await eventually(settled, within=5)
    await workers.close()  # a quiet pipeline, as --fix requires
    clean = quizboard(settings, "reconcile", str(quiz["id"]))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "consistent" in clean.stdout

    board = f"{KEYS.tag(quiz['partition'])}quiz:{quiz['id']}:lb"
    await redis.zincrby(board, 999, players[0]["player_id"])  # a double count
    await redis.zrem(board, players[2]["player_id"])  # a player lost from the board
    found = quizboard(settings, "reconcile", str(quiz["id"]))
    assert found.returncode == 1
    assert "scores differ" in found.stdout
    assert f"{players[0]['player_id']} (board 1299, user_answer 300)" in found.stdout
    assert f"{players[2]['player_id']} (board absent, user_answer 0)" in found.stdout

    fixed = quizboard(settings, "reconcile", str(quiz["id"]), "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "rebuilt" in fixed.stdout
    scores = dict(await redis.zrange(board, 0, -1, withscores=True))
    assert scores == {
        players[0]["player_id"].encode(): 300.0,
        players[1]["player_id"].encode(): 300.0,
        players[2]["player_id"].encode(): 0.0,
    }

    await db.execute("DELETE FROM user_answer WHERE player_id = %s", (players[1]["player_id"],))
    lost = quizboard(settings, "reconcile", str(quiz["id"]))
    assert lost.returncode == 1
    assert "3 accepted answers have no user_answer row" in lost.stdout


async def test_answers_still_queued_are_in_flight_and_a_loss_behind_them_is_still_found(
    api: httpx.AsyncClient,
    workers: Workers,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    quiz = await create_quiz(api)
    ann, bo = [await join(api, quiz["id"], name) for name in ("Ann", "Bo")]
    for index in range(3):
        await answer(api, quiz, ann, index)

    async def stored() -> bool:
        return await count(db, "SELECT count(*) FROM user_answer") == 3

    await eventually(stored, within=5)
    await workers.close()  # from here on, answers queue in the stream
    for index in range(3):
        await answer(api, quiz, bo, index)
    queued = quizboard(settings, "reconcile", str(quiz["id"]))
    assert queued.returncode == 0, queued.stdout + queued.stderr
    assert "still to apply: answers-db 3, answers-redis 3" in queued.stdout
    assert "in flight: 3 answers of 1 players" in queued.stdout
    assert "consistent so far" in queued.stdout

    await db.execute("DELETE FROM user_answer WHERE player_id = %s", (ann["player_id"],))
    lost = quizboard(settings, "reconcile", str(quiz["id"]))
    assert lost.returncode == 1
    assert "DIFFERENCE: 3 accepted answers have no user_answer row" in lost.stdout
    assert bo["player_id"] not in lost.stdout.split("in flight")[1]


async def test_reconcile_checks_a_team_board_and_fix_rebuilds_it(
    api: httpx.AsyncClient,
    workers: Workers,
    settings: Settings,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start("joins-db", "joins-redis", "answers-db", "answers-redis")
    body = {**quiz_body(), "teams": ["Red", "Blue"]}
    quiz = (await api.post("/quizzes", json=body, headers=ADMIN_AUTH)).json()
    players = [await join(api, quiz["id"], name) for name in ("Ann", "Bo", "Cy", "Di")]
    for n, player in enumerate(players):
        for index in range(n):
            await answer(api, quiz, player, index)
    kick = await api.post(
        f"/quizzes/{quiz['id']}/players/{players[3]['player_id']}/kick",
        headers={"Authorization": f"Bearer {quiz['host_token']}"},
    )
    assert kick.status_code == 200

    async def settled() -> bool:
        return await count(db, "SELECT count(*) FROM user_answer") == 6

    await eventually(settled, within=5)
    await workers.close()
    clean = quizboard(settings, "reconcile", str(quiz["id"]))
    assert clean.returncode == 0, clean.stdout + clean.stderr

    tag = f"{KEYS.tag(quiz['partition'])}quiz:{quiz['id']}"
    before = dict(await redis.zrange(f"{tag}:team-lb", 0, -1, withscores=True))
    await redis.zincrby(f"{tag}:team-lb", 50, "0")  # points a team never earned
    await redis.hset(f"{tag}:team-of", players[1]["player_id"], "0")  # a player moved
    found = quizboard(settings, "reconcile", str(quiz["id"]))
    assert found.returncode == 1
    assert "1 teams differ from PostgreSQL's sums: team 0 (board" in found.stdout
    assert "1 players' teams differ from user_quiz" in found.stdout

    fixed = quizboard(settings, "reconcile", str(quiz["id"]), "--fix")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert dict(await redis.zrange(f"{tag}:team-lb", 0, -1, withscores=True)) == before
    sizes = await redis.zrange(f"{tag}:team-sizes", 0, -1, withscores=True)
    assert sum(int(n) for _, n in sizes) == 3  # four joined, one kicked
