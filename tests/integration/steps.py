"""Steps the integration tests share: create a quiz, join, answer, wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psycopg

from tests.conftest import quiz_body
from tests.integration.conftest import ADMIN

ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}


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
