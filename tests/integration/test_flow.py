"""Join and answer over HTTP; the workers put both into PostgreSQL and the leaderboard."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from tests.support.quizzes import ADMIN_AUTH, BACKENDS
from tests.support.stack import Workers
from tests.support.steps import KEYS, answer, count, create_quiz, eventually, join, right_answer

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

INTAKE_MODES = pytest.mark.parametrize(
    "settings",
    [{}, {"coalesce": False}, {"wait_aof": True}, {"coalesce": False, "wait_aof": True}],
    ids=["coalesced", "one-by-one", "coalesced-waitaof", "one-by-one-waitaof"],
    indirect=True,
)


@INTAKE_MODES
async def test_join_and_answer_reach_postgres_and_leaderboard(
    api: httpx.AsyncClient, workers: Workers, db: psycopg.AsyncConnection[Any]
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    alice = await join(api, quiz["id"], "Alice")
    bob = await join(api, quiz["id"], "Bob")
    first, second = quiz["questions"][0], quiz["questions"][3]

    answered = []
    for player, question, value in [
        (alice, first, right_answer(first)),
        (alice, second, right_answer(second)),
        (bob, first, (right_answer(first) + 1) % 4),
    ]:
        response = await api.post(
            f"/quizzes/{quiz['id']}/answers",
            json={"question_id": question["id"], "answer": value},
            headers={"Authorization": f"Bearer {player['token']}"},
        )
        assert response.status_code == 202, response.text
        answered.append(response.json())
    assert [a["points"] for a in answered] == [100, 150, 0]
    assert [a["correct"] for a in answered] == [True, True, False]

    async def stored() -> bool:
        rows = await count(db, "SELECT count(*) FROM user_answer WHERE quiz_id = %s", quiz["id"])
        players = await count(db, "SELECT count(*) FROM user_quiz WHERE quiz_id = %s", quiz["id"])
        return rows == 3 and players == 2

    async def on_board() -> bool:
        board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
        return board["total_players"] == 2 and board["as_of"] == answered[-1]["event_id"]

    await eventually(stored)
    await eventually(on_board)
    board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
    assert [(e["rank"], e["display_name"], e["score"]) for e in board["entries"]] == [
        (1, "Alice", 250),
        (2, "Bob", 0),
    ]
    me = await api.get(
        f"/quizzes/{quiz['id']}/leaderboard/me",
        headers={"Authorization": f"Bearer {bob['token']}"},
    )
    assert me.json() == {"rank": 2, "score": 0, "total_players": 2}
    total = await count(db, "SELECT sum(points) FROM user_answer WHERE quiz_id = %s", quiz["id"])
    assert total == 250


@INTAKE_MODES
async def test_duplicate_answer_is_409_and_counted_once(
    api: httpx.AsyncClient, workers: Workers, db: psycopg.AsyncConnection[Any]
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Carol")
    question = quiz["questions"][0]
    auth = {"Authorization": f"Bearer {player['token']}"}
    body = {"question_id": question["id"], "answer": right_answer(question)}
    responses = await asyncio.gather(
        *[api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=auth) for _ in range(5)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202, 409, 409, 409, 409]
    conflict = next(r for r in responses if r.status_code == 409).json()
    assert conflict["error"]["code"] == "already_answered"

    async def settled() -> bool:
        board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
        return board["entries"] == [
            {"rank": 1, "player_id": player["player_id"], "display_name": "Carol", "score": 100}
        ]

    await eventually(settled)
    await asyncio.sleep(0.3)  # a second copy would have landed by now
    assert await count(db, "SELECT count(*) FROM user_answer") == 1
    board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
    assert board["entries"][0]["score"] == 100


async def test_quiz_window(api: httpx.AsyncClient, redis: aioredis.Redis) -> None:
    future = await create_quiz(api, opens_in=3600)
    response = await api.post(f"/quizzes/{future['id']}/join", json={"display_name": "Early"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "quiz_not_open"

    short = await create_quiz(api, opens_in=-1, lasts=1.6)
    player = await join(api, short["id"], "Late")
    await asyncio.sleep(0.8)
    response = await api.post(f"/quizzes/{short['id']}/join", json={"display_name": "Later"})
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "quiz_ended"
    question = short["questions"][0]
    response = await api.post(
        f"/quizzes/{short['id']}/answers",
        json={"question_id": question["id"], "answer": 0},
        headers={"Authorization": f"Bearer {player['token']}"},
    )
    assert response.status_code == 410
    assert await redis.xlen(f"{KEYS.tag(short['partition'])}answers") == 0


async def test_quiz_is_read_back_without_answers_and_listed(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    public = (await api.get(f"/quizzes/{quiz['id']}")).json()
    assert public["title"] == quiz["title"]
    assert len(public["questions"]) == 10
    assert all("answer" not in q and "accepted" not in q for q in public["questions"])
    listed = (await api.get("/quizzes", headers=ADMIN_AUTH)).json()
    assert [q["id"] for q in listed["quizzes"]] == [quiz["id"]]
    assert listed["quizzes"][0]["questions"] == 10
    assert listed["next_cursor"] is None


async def test_me_around_shows_the_players_neighbours(
    api: httpx.AsyncClient, workers: Workers
) -> None:
    workers.start("joins-redis", "answers-redis")
    quiz = await create_quiz(api)
    # Player k answers the first k questions rightly: five distinct scores, k = 0 lowest.
    players = [await join(api, quiz["id"], f"N{k}") for k in range(5)]
    for k, player in enumerate(players):
        for index in range(k):
            await answer(api, quiz, player, index)

    async def me(player: dict[str, Any], around: str) -> httpx.Response:
        return await api.get(
            f"/quizzes/{quiz['id']}/leaderboard/me?around={around}",
            headers={"Authorization": f"Bearer {player['token']}"},
        )

    async def settled() -> bool:  # every answer applied, not only some of each player's
        for k, player in enumerate(players):
            wanted = sum(q["points"] for q in quiz["questions"][:k])
            if (await me(player, "0")).json()["score"] != wanted:
                return False
        return True

    await eventually(settled, within=10)
    middle = (await me(players[2], "1")).json()
    assert middle["rank"] == 3
    assert [(e["rank"], e["display_name"]) for e in middle["around"]] == [
        (2, "N3"), (3, "N2"), (4, "N1"),
    ]  # fmt: skip
    top = (await me(players[4], "2")).json()
    assert [e["display_name"] for e in top["around"]] == ["N4", "N3", "N2"]
    last = (await me(players[0], "10")).json()
    assert [e["rank"] for e in last["around"]] == [1, 2, 3, 4, 5]
    assert "around" not in (await me(players[2], "0")).json()
    assert (await me(players[2], "51")).status_code == 422
