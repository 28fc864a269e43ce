"""The history of a fault test: every answer sent, what came back, and a check of it
against PostgreSQL once the fault has healed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg

from tests.support.steps import right_answer

REQUEST_LIMIT_S = 60.0  # a request still unanswered by then is a hang


@dataclass
class Sent:
    """One request of the history: what was sent and what came back."""

    player: str
    question: int
    status: int | str  # the HTTP status, or "hang"
    points: int | None = None
    took: float = 0.0  # seconds, from the send to the reply


async def send(api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any],
               question: dict[str, Any], history: list[Sent]) -> None:  # fmt: skip
    """Answer ``question`` rightly as ``player``; record what came back in ``history``."""
    body = {"question_id": question["id"], "answer": right_answer(question)}
    headers = {"Authorization": f"Bearer {player['token']}"}
    began = time.monotonic()
    try:
        reply = await asyncio.wait_for(
            api.post(f"/quizzes/{quiz['id']}/answers", json=body, headers=headers),
            REQUEST_LIMIT_S,
        )
    except TimeoutError:
        history.append(Sent(player["player_id"], question["id"], "hang"))
        return
    points = reply.json().get("points") if reply.status_code == 202 else None
    if reply.status_code == 503:
        assert reply.headers.get("retry-after"), "a 503 says when to retry"
    took = time.monotonic() - began
    history.append(Sent(player["player_id"], question["id"], reply.status_code, points, took))


async def stored_answers(
    db: psycopg.AsyncConnection[Any], quiz_id: int
) -> dict[tuple[str, int], list[int]]:
    """PostgreSQL's answers of a quiz: per player and question, the points of each row."""
    cursor = await db.execute(
        "SELECT player_id::text, question_id, points FROM user_answer WHERE quiz_id = %s",
        (quiz_id,),
    )
    stored: dict[tuple[str, int], list[int]] = {}
    for player, question, points in await cursor.fetchall():
        stored.setdefault((player, question), []).append(points)
    return stored


def check(history: list[Sent], stored: dict[tuple[str, int], list[int]]) -> dict[str, int]:
    """The history against PostgreSQL: acknowledged but lost, acknowledged with other
    points, stored twice, and refused but stored (a 503 whose answer went in: allowed,
    its retry gets 409)."""
    counts: Counter[str] = Counter()
    for sent in history:
        rows = stored.get((sent.player, sent.question), [])
        counts[f"status {sent.status}"] += 1
        if len(rows) > 1:
            counts["stored twice"] += 1
        if sent.status == 202:
            if not rows:
                counts["acknowledged but lost"] += 1
            elif rows[0] != sent.points:
                counts["acknowledged with other points"] += 1
        elif rows:
            counts["refused but stored"] += 1
    return dict(counts)
