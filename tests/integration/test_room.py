"""The host's control of a room on a real Valkey (and cluster) and PostgreSQL: kick and
ban, the lock, latecomers, and a kick racing answers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from quizboard.core.room import REMOVED_CLOSE_CODE
from quizboard.ops.reconcile import differences, load_state
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import pg_pool
from tests.support.identity import HS256, app_jwt
from tests.support.quizzes import ADMIN_AUTH, BACKENDS, live_body
from tests.support.stack import Gateway, Workers
from tests.support.steps import (
    KEYS,
    answer,
    board_scores,
    count,
    create_quiz,
    eventually,
    host,
    join,
    right_answer,
)
from tests.support.watch import watching

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)
ROUNDS = 12


async def move(api: httpx.AsyncClient, quiz: dict[str, Any], path: str) -> dict[str, Any]:
    """A host's room move (``players/P/kick``, ``lock``, ...); the room it leaves."""
    reply = await api.post(f"/quizzes/{quiz['id']}/{path}",
                           headers={"Authorization": f"Bearer {quiz['host_token']}"})  # fmt: skip
    assert reply.status_code == 200, reply.text
    room: dict[str, Any] = reply.json()
    return room


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post_answer(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], index: int
) -> httpx.Response:
    """``player`` answers question ``index`` rightly; the reply, whatever it is."""
    question = quiz["questions"][index]
    body = {"question_id": question["id"], "answer": right_answer(question)}
    return await api.post(
        f"/quizzes/{quiz['id']}/answers", json=body, headers=auth(player["token"])
    )


async def reconciled(settings: Settings, redis: aioredis.Redis, quiz: dict[str, Any]) -> bool:
    async with pg_pool(settings.database_url) as pool:
        config = await QuizCatalog(pool, redis, KEYS, settings.partitions).get(quiz["id"])
        state = await load_state(redis, pool, KEYS, config)
    return differences(state) == []


async def test_a_kicked_player_leaves_the_board_and_its_token_is_refused_everywhere(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any], settings: Settings,
) -> None:  # fmt: skip
    workers.start()
    quiz = await create_quiz(api)
    ann, bob, cat = [await join(api, quiz["id"], name) for name in ("Ann", "Mr Poopy", "Cat")]
    for player in (ann, bob, cat):
        await answer(api, quiz, player, 0)
    await eventually(lambda: _scored(redis, quiz, 3), within=10)
    async with (
        watching(gateway.url(quiz["id"], quiz["host_token"])) as host_view,
        watching(gateway.url(quiz["id"], bob["token"])) as bobs_view,
    ):
        await host_view.next("leaderboard")  # in the room: it hears what comes next
        await bobs_view.next("standing")  # a player's connection, in the room as such
        room = await move(api, quiz, f"players/{bob['player_id']}/kick")
        assert room["players"][-1] == {"player_id": bob["player_id"], "display_name": "Mr Poopy",
                                       "score": 100, "removed": "kick"}  # fmt: skip
        assert len(room["players"]) == 3
        removal = await host_view.next("player_removed")
        assert (removal["player_id"], removal["reason"]) == (bob["player_id"], "kick")
        board = await host_view.next("leaderboard")
        while board["total_players"] != 2:  # the board without the player follows
            board = await host_view.next("leaderboard")
        assert bob["player_id"] not in {e["player_id"] for e in board["entries"]}
        await asyncio.wait_for(bobs_view.ws.wait_closed(), 5)
        assert bobs_view.ws.close_code == REMOVED_CLOSE_CODE
    refused = await post_answer(api, quiz, bob, 1)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "player_removed")
    me = await api.get(f"/quizzes/{quiz['id']}/leaderboard/me", headers=auth(bob["token"]))
    assert (me.status_code, me.json()["error"]["code"]) == (403, "player_removed")
    with pytest.raises(InvalidStatus) as handshake:
        async with connect(gateway.url(quiz["id"], bob["token"])):
            pass
    assert handshake.value.response.status_code == 403
    # PostgreSQL keeps its answers, marked; the results leave it out.
    assert await count(db, "SELECT count(*) FROM user_answer WHERE player_id = %s",
                       bob["player_id"]) == 1  # fmt: skip
    results = (await api.get(f"/quizzes/{quiz['id']}/results",
                             headers=auth(quiz["host_token"]))).json()  # fmt: skip
    assert bob["player_id"] not in {p["player_id"] for p in results["players"]}
    await eventually(lambda: reconciled(settings, redis, quiz), within=10)
    await move(api, quiz, f"players/{bob['player_id']}/kick")  # again: nothing changes
    missing = await api.post(f"/quizzes/{quiz['id']}/players/nobody/kick",
                             headers=auth(quiz["host_token"]))  # fmt: skip
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "player_not_found")
    others = await api.post(f"/quizzes/{quiz['id']}/players/{ann['player_id']}/kick",
                            headers=auth(ann["token"]))  # fmt: skip
    assert others.status_code in (401, 403)  # a player is no host


@pytest.mark.parametrize("settings", [HS256], indirect=True)
async def test_a_kicked_app_user_may_come_back_with_its_points_and_a_banned_one_may_not(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any], settings: Settings,
) -> None:  # fmt: skip
    workers.start()
    quiz = await create_quiz(api)
    kicked = app_jwt("pupil-7", aud="quizapp", name="Seven")
    banned = app_jwt("pupil-8", aud="quizapp", name="Eight")
    first = (await api.post(f"/quizzes/{quiz['id']}/join", json={}, headers=auth(kicked))).json()
    await answer(api, quiz, first, 0)
    other = (await api.post(f"/quizzes/{quiz['id']}/join", json={}, headers=auth(banned))).json()
    await eventually(lambda: _scored(redis, quiz, 1), within=10)
    await move(api, quiz, "players/pupil-7/kick")
    await move(api, quiz, "players/pupil-8/ban")
    gone = await post_answer(api, quiz, other, 0)
    assert (gone.status_code, gone.json()["error"]["code"]) == (403, "player_removed")
    again = await api.post(f"/quizzes/{quiz['id']}/join", json={}, headers=auth(banned))
    assert (again.status_code, again.json()["error"]["code"]) == (403, "player_removed")
    back = await api.post(f"/quizzes/{quiz['id']}/join", json={}, headers=auth(kicked))
    assert back.status_code == 202, back.text
    await answer(api, quiz, back.json(), 1)  # and plays on, with what it had

    async def restored() -> bool:
        return (await board_scores(redis, quiz)).get("pupil-7") == 200 and await count(
            db, "SELECT count(*) FROM removed_players WHERE quiz_id = %s", quiz["id"]
        ) == 1

    await eventually(restored, within=10)
    await eventually(lambda: reconciled(settings, redis, quiz), within=10)


async def test_a_locked_lobby_refuses_joins_until_it_opens(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    room = await move(api, quiz, "lock")
    assert room["locked"] is True
    refused = await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": "Late"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "lobby_locked")
    assert (await move(api, quiz, "unlock"))["locked"] is False
    assert (await join(api, quiz["id"], "Now"))["player_id"]


@pytest.mark.parametrize("late_join", [True, False])
async def test_a_live_quiz_may_refuse_latecomers_after_its_first_question(
    api: httpx.AsyncClient, late_join: bool
) -> None:
    body = {**live_body(), "late_join": late_join}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    await join(api, quiz["id"], "Early")
    await host(api, quiz, "next")
    late = await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": "Late"})
    if late_join:
        assert late.status_code == 202
    else:
        assert (late.status_code, late.json()["error"]["code"]) == (409, "late_join_closed")


async def test_a_kick_racing_answers_counts_each_answer_before_or_refuses_it_after(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any], settings: Settings,
) -> None:  # fmt: skip
    """Many times: a player sends every answer at once while the host kicks it. Each
    answer gets a 202 (stored, and held off the board) or a 403 (stored nowhere)."""
    workers.start()
    quiz = await create_quiz(api)
    questions = quiz["questions"]
    accepted: dict[str, int] = {}
    splits: list[int] = []  # per round, the answers accepted before the kick
    for round_ in range(ROUNDS):
        player = await join(api, quiz["id"], f"Racer {round_}")

        async def send(index: int, p: dict[str, Any] = player) -> int:
            reply = await post_answer(api, quiz, p, index)
            assert reply.status_code in (202, 403), reply.text
            return reply.json()["points"] if reply.status_code == 202 else -1

        kicking = move(api, quiz, f"players/{player['player_id']}/kick")
        if round_ == 0:  # the kick, then the answers: all refused
            await kicking
            points = await asyncio.gather(*(send(i) for i in range(len(questions))))
        elif round_ == ROUNDS - 1:  # the answers, then the kick: all counted, and held
            points = await asyncio.gather(*(send(i) for i in range(len(questions))))
            await kicking
        else:  # both at once, the kick a little later each round
            kick = asyncio.create_task(_after(round_ * 0.003, kicking))
            points = await asyncio.gather(*(send(i) for i in range(len(questions))))
            await kick
        accepted[player["player_id"]] = sum(p for p in points if p >= 0)
        splits.append(sum(1 for p in points if p >= 0))
    for player_id, total in accepted.items():
        rows = "SELECT coalesce(sum(points), 0) FROM user_answer WHERE player_id = %s"
        await eventually(lambda r=rows, p=player_id, t=total: _stored(db, r, p, t), within=10)
    board = await board_scores(redis, quiz)
    assert not set(board) & set(accepted)  # never back on the board
    await eventually(lambda: reconciled(settings, redis, quiz), within=10)
    assert (splits[0], splits[-1]) == (0, len(questions)), splits


async def _after(seconds: float, then: Awaitable[Any]) -> None:
    await asyncio.sleep(seconds)
    await then


async def _scored(redis: aioredis.Redis, quiz: dict[str, Any], players: int) -> bool:
    return len([s for s in (await board_scores(redis, quiz)).values() if s > 0]) >= players


async def _stored(db: psycopg.AsyncConnection[Any], sql: str, player: str, total: int) -> bool:
    cursor = await db.execute(sql, (player,))
    row = await cursor.fetchone()
    return row is not None and row[0] == total
