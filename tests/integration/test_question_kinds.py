"""Every kind of question end to end, on a real Valkey and PostgreSQL: created, stored,
shown without its answer, answered, scored, and counted on the board and in the
database, in an open quiz and in a live one."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from tests.support.quizzes import ADMIN_AUTH, BACKENDS, quiz_body
from tests.support.stack import Workers
from tests.support.steps import board_scores, eventually, host, join

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

PAIRS = [{"left": "big", "right": "large"}, {"left": "fast", "right": "quick"},
         {"left": "glad", "right": "happy"}, {"left": "cold", "right": "chilly"}]  # fmt: skip
QUESTIONS: list[dict[str, Any]] = [
    {"kind": "true_false", "prompt": "'Colour' is British spelling.", "answer": True,
     "points": 100, "explanation": "American English writes 'color'."},
    {"kind": "multi", "prompt": "Which are fruits?", "choices": ["apple", "chair", "pear"],
     "answers": [0, 2], "partial": True, "points": 200},
    {"kind": "text", "prompt": "Coffee in French?", "accepted": ["café"],
     "ignore_accents": True, "points": 300},
    {"kind": "order", "prompt": "Make the sentence.", "items": ["I", "have", "been", "there"],
     "points": 400},
    {"kind": "match", "prompt": "Match each word to a synonym.", "pairs": PAIRS, "points": 400},
    {"kind": "poll", "prompt": "Tea or coffee?", "choices": ["tea", "coffee"]},
]  # fmt: skip


def answer_for(question: dict[str, Any]) -> tuple[Any, int]:
    """For a question as players see it: an answer, and what it earns in an open quiz."""
    match question["kind"]:
        case "true_false":
            return 0, 100  # True
        case "multi":
            return [0, 1], 0  # one right pick, one wrong: 0 of 200
        case "text":
            return "CAFE", 300
        case "order":
            return [question["items"].index(w) for w in ["I", "have", "been", "there"]], 400
        case "match":
            matched = [question["right"].index(p["right"]) for p in PAIRS]
            matched[0], matched[1] = matched[1], matched[0]  # two of four pairs wrong
            return matched, 200
    return 1, 0  # a poll scores nothing


async def post_answer(api: httpx.AsyncClient, quiz_id: int, player: dict[str, Any],
                      question_id: int, answer: Any) -> dict[str, Any]:  # fmt: skip
    response = await api.post(
        f"/quizzes/{quiz_id}/answers", json={"question_id": question_id, "answer": answer},
        headers={"Authorization": f"Bearer {player['token']}"},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    reply: dict[str, Any] = response.json()
    return reply


async def test_every_kind_in_an_open_quiz(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:  # fmt: skip
    workers.start()
    body = {**quiz_body(), "questions": QUESTIONS}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    shown = (await api.get(f"/quizzes/{quiz['id']}")).json()["questions"]
    assert [q["kind"] for q in shown] == [q["kind"] for q in QUESTIONS]
    assert not any({"answer", "answers", "accepted", "pairs"} & q.keys() for q in shown)
    assert sorted(shown[3]["items"]) == sorted(QUESTIONS[3]["items"])
    assert shown[3]["items"] != QUESTIONS[3]["items"]
    player = await join(api, quiz["id"], "Kinds")
    total = 0
    for question in shown:
        given, earned = answer_for(question)
        reply = await post_answer(api, quiz["id"], player, question["id"], given)
        assert reply["points"] == earned, (question["kind"], reply)
        total += earned
    first = await post_answer(api, quiz["id"], await join(api, quiz["id"], "Two"),
                              shown[0]["id"], 0)  # fmt: skip
    assert first["explanation"] == "American English writes 'color'."

    async def counted() -> bool:
        cursor = await db.execute(
            "SELECT coalesce(sum(points), 0) FROM user_answer WHERE player_id = %s",
            (player["player_id"],),
        )
        row = await cursor.fetchone()
        board = await board_scores(redis, quiz)
        return row is not None and row[0] == total and board[player["player_id"]] == total

    await eventually(counted, within=10)
    exported = (await api.get(f"/quizzes/{quiz['id']}", headers=ADMIN_AUTH)).json()
    assert len(exported["questions"]) == len(QUESTIONS)


async def test_every_kind_in_a_live_quiz_is_all_or_nothing_with_speed(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis
) -> None:
    workers.start()
    questions = [{**q, "time_limit_s": 60} for q in QUESTIONS]
    for q in questions:
        q.pop("points", None)
    body = {**quiz_body(), "mode": "live", "questions": questions}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    player = await join(api, quiz["id"], "Live kinds")
    earned = []
    for index in range(len(questions)):
        state = await host(api, quiz, "next")
        question = state["question"]
        assert question["kind"] == questions[index]["kind"]
        given, _ = answer_for(question)
        reply = await post_answer(api, quiz["id"], player, question["id"], given)
        earned.append((question["kind"], reply["correct"], reply["points"]))
    # Right ones earn half to all of 1,000 by speed, plus the streak's bonus (100 for
    # the second in a row); a partly right one earns nothing in a live quiz.
    for kind, correct, points in earned:
        assert (500 <= points <= 1100) if correct else points == 0, (kind, correct, points)
    assert [c for _, c, _ in earned] == [True, False, True, True, False, False]
