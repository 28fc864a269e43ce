"""Names fit for a classroom, on a real Valkey (and cluster) and PostgreSQL: one name
per player in a quiz, whatever its case; names refused by the lists; names the quiz
makes up; and the host's renames."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from tests.support.quizzes import ADMIN_AUTH, BACKENDS, quiz_body
from tests.support.stack import Workers
from tests.support.steps import create_quiz, eventually

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


async def join_named(api: httpx.AsyncClient, quiz: dict[str, Any], name: str) -> httpx.Response:
    return await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": name})


def host_auth(quiz: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {quiz['host_token']}"}


async def test_a_name_is_one_player_s_whatever_its_case_and_is_freed_by_a_kick(
    api: httpx.AsyncClient,
) -> None:
    quiz = await create_quiz(api)
    first = await join_named(api, quiz, "  Anna   Lee ")
    assert first.status_code == 202
    assert first.json()["display_name"] == "Anna Lee"
    for clash in ("ANNA LEE", "anna  lee", "Anna Lee"):
        taken = await join_named(api, quiz, clash)
        assert (taken.status_code, taken.json()["error"]["code"]) == (409, "name_taken")
    # Many at once, one name: exactly one gets it.
    replies = await asyncio.gather(*(join_named(api, quiz, "Race") for _ in range(20)))
    assert sorted(r.status_code for r in replies) == [202] + [409] * 19
    kick = f"/quizzes/{quiz['id']}/players/{first.json()['player_id']}/kick"
    assert (await api.post(kick, headers=host_auth(quiz))).status_code == 200
    assert (await join_named(api, quiz, "anna lee")).status_code == 202  # free again


async def test_names_on_the_word_lists_are_refused(api: httpx.AsyncClient) -> None:
    quiz = await create_quiz(api)
    for name in ("fuck", "F.U.C.K", "đồ chó", "Thằng ngu"):
        refused = await join_named(api, quiz, name)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, "name_not_allowed")


async def test_a_quiz_may_hand_out_names_in_its_language(api: httpx.AsyncClient) -> None:
    body = {**quiz_body(), "names": "generated", "language": "vi"}
    quiz = (await api.post("/quizzes", json=body, headers=ADMIN_AUTH)).json()
    assert (await api.get(f"/quizzes/{quiz['id']}")).json()["names"] == "generated"
    replies = await asyncio.gather(*(join_named(api, quiz, "ignored") for _ in range(30)))
    assert [r.status_code for r in replies] == [202] * 30
    names = [r.json()["display_name"] for r in replies]
    assert len(set(names)) == 30  # no two alike
    assert "ignored" not in names


async def test_the_host_renames_a_player_everywhere(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:  # fmt: skip
    workers.start()
    quiz = await create_quiz(api)
    poopy = (await join_named(api, quiz, "Mr Poopy")).json()
    await join_named(api, quiz, "Ann")
    rename = f"/quizzes/{quiz['id']}/players/{poopy['player_id']}/name"
    taken = await api.post(rename, json={"display_name": "ann"}, headers=host_auth(quiz))
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "name_taken")
    bad = await api.post(rename, json={"display_name": "bitch"}, headers=host_auth(quiz))
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "name_not_allowed")
    room = await api.post(rename, json={"display_name": "Player 2"}, headers=host_auth(quiz))
    assert room.status_code == 200

    async def listed() -> bool:  # once its join is on the board, the list shows it
        room = await api.get(f"/quizzes/{quiz['id']}/players", headers=host_auth(quiz))
        return "Player 2" in {p["display_name"] for p in room.json()["players"]}

    await eventually(listed, within=10)
    assert (await join_named(api, quiz, "Mr Poopy")).status_code == 202  # the old one is free

    async def recorded() -> bool:
        cursor = await db.execute(
            "SELECT display_name FROM user_quiz WHERE player_id = %s", (poopy["player_id"],)
        )
        row = await cursor.fetchone()
        return row is not None and row[0] == "Player 2"

    await eventually(recorded, within=10)
    board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
    assert "Player 2" in {e["display_name"] for e in board["entries"]}
