"""Steps through the API that the tests share: create a quiz, join, answer, wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster

from quizboard.core.keys import Keys
from tests.support.quizzes import ADMIN_AUTH, live_body, quiz_body

KEYS = Keys("qb:")


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 2.0) -> float:
    """Wait until ``check()`` is true; return the seconds it took."""
    start = time.monotonic()
    while not await check():
        if time.monotonic() - start > within:
            raise AssertionError(f"not true within {within} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def create_quiz(api: httpx.AsyncClient, **window: float) -> dict[str, Any]:
    response = await api.post("/quizzes", json=quiz_body(**window), headers=ADMIN_AUTH)
    assert response.status_code == 201, response.text
    quiz: dict[str, Any] = response.json()
    return quiz


async def create_live_quiz(api: httpx.AsyncClient, **shape: Any) -> dict[str, Any]:
    """A live quiz (see :func:`live_body`): the 201's body, ``host_token`` included."""
    response = await api.post("/quizzes", json=live_body(**shape), headers=ADMIN_AUTH)
    assert response.status_code == 201, response.text
    quiz: dict[str, Any] = response.json()
    return quiz


async def host(api: httpx.AsyncClient, quiz: dict[str, Any], move: str) -> dict[str, Any]:
    """The host's ``move`` (``next``, ``reveal``, ``finish``); the quiz's state after it."""
    response = await api.post(
        f"/quizzes/{quiz['id']}/{move}",
        headers={"Authorization": f"Bearer {quiz['host_token']}"},
    )
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


async def join(api: httpx.AsyncClient, quiz_id: int, name: str) -> dict[str, Any]:
    response = await api.post(f"/quizzes/{quiz_id}/join", json={"display_name": name})
    assert response.status_code == 202, response.text
    player: dict[str, Any] = response.json()
    return player


def right_answer(question: dict[str, Any]) -> int | str:
    return question["answer"] if question["kind"] == "choice" else question["accepted"][0]


async def count(db: psycopg.AsyncConnection[Any], sql: str, *args: Any) -> int:
    cursor = await db.execute(sql, args)  # type: ignore[arg-type]
    row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def answer(
    api: httpx.AsyncClient,
    quiz: dict[str, Any],
    player: dict[str, Any],
    index: int,
    right: bool = True,
) -> dict[str, Any]:
    """``player`` answers question ``index``, rightly or not; the 202's body."""
    question = quiz["questions"][index]
    value = right_answer(question)
    if not right:
        value = "nope" if question["kind"] == "text" else (question["answer"] + 1) % 4
    response = await api.post(
        f"/quizzes/{quiz['id']}/answers",
        json={"question_id": question["id"], "answer": value},
        headers={"Authorization": f"Bearer {player['token']}"},
    )
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


@dataclass
class Tally:
    """What clients that retry saw: each accepted answer's points, and their retries."""

    accepted: dict[tuple[str, int], int] = field(default_factory=dict)  # (player, q) -> points
    unavailable: int = 0  # 503s and lost connections, each retried
    repeats: int = 0  # a retry that found its first copy stored (409)


async def answer_retrying(
    api: httpx.AsyncClient,
    quiz: dict[str, Any],
    player: dict[str, Any],
    question: dict[str, Any],
    tally: Tally,
) -> bool:
    """Answer rightly, retrying a 503 until a 202 (True) or, for a retry whose first
    copy was stored after all, a 409 (False)."""
    body = {"question_id": question["id"], "answer": right_answer(question)}
    headers = {"Authorization": f"Bearer {player['token']}"}
    retried = False
    while True:
        try:
            reply = await api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=headers)
            status = reply.status_code
        except httpx.TransportError:
            status = 503
        if status == 202:
            tally.accepted[(player["player_id"], question["id"])] = reply.json()["points"]
            return True
        if status == 409 and retried:
            tally.repeats += 1
            return False
        assert status == 503, reply.text
        tally.unavailable += 1
        retried = True
        await asyncio.sleep(0.2)


async def answer_all(
    api: httpx.AsyncClient, quiz: dict[str, Any], players: list[dict[str, Any]]
) -> dict[str, int]:
    """Every player answers every question, concurrently; return the points accepted per player."""
    accepted: dict[str, int] = {p["player_id"]: 0 for p in players}

    async def one(player: dict[str, Any], index: int, question: dict[str, Any]) -> None:
        answer = right_answer(question) if index % 3 else "wrong"
        if question["kind"] == "choice" and answer == "wrong":
            answer = (question["answer"] + 1) % len(question["choices"])
        response = await api.post(
            f"/quizzes/{quiz['id']}/answers",
            json={"question_id": question["id"], "answer": answer},
            headers={"Authorization": f"Bearer {player['token']}"},
        )
        assert response.status_code == 202, response.text
        accepted[player["player_id"]] += response.json()["points"]

    for player in players:
        await asyncio.gather(*[one(player, i, q) for i, q in enumerate(quiz["questions"])])
    return accepted


async def board_scores(redis: aioredis.Redis, quiz: dict[str, Any]) -> dict[str, int]:
    rows = await redis.zrange(KEYS.quiz(quiz["partition"], quiz["id"]).leaderboard, 0, -1,
                              withscores=True)  # fmt: skip
    return {member.decode(): int(score) for member, score in rows}


async def kill_pubsub_clients(redis: aioredis.Redis) -> int:
    """Kill every pub/sub connection of the test's Valkey (every node of a cluster)."""
    if isinstance(redis, RedisCluster):
        killed: Any = await redis.execute_command(
            "CLIENT", "KILL", "TYPE", "pubsub", target_nodes=redis.get_nodes()
        )
        return sum(int(n) for n in killed.values()) if isinstance(killed, dict) else int(killed)
    return int(await redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub"))
