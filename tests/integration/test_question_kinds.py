"""Every kind of question end to end, on a real Valkey and PostgreSQL: created, stored,
shown without its answer, answered, scored, and counted on the board and in the
database, in an open quiz and in a live one."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.core.scoring import live_points, streak_after
from tests.support.quizzes import ADMIN_AUTH, BACKENDS, KINDS, PAIRS, quiz_body
from tests.support.stack import Gateway, Workers
from tests.support.steps import KEYS, board_scores, eventually, host, join
from tests.support.watch import watching

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


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
    body = {**quiz_body(), "questions": KINDS}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    shown = (await api.get(f"/quizzes/{quiz['id']}")).json()["questions"]
    assert [q["kind"] for q in shown] == [q["kind"] for q in KINDS]
    assert not any({"answer", "answers", "accepted", "pairs"} & q.keys() for q in shown)
    assert sorted(shown[3]["items"]) == sorted(KINDS[3]["items"])
    assert shown[3]["items"] != KINDS[3]["items"]
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
    third = await join(api, quiz["id"], "Three")
    await post_answer(api, quiz["id"], third, shown[2]["id"], " Café ")  # typed another way

    async def summarized() -> list[dict[str, Any]] | None:
        summary = (await api.get(f"/quizzes/{quiz['id']}/results", headers=ADMIN_AUTH)).json()
        by_question: list[dict[str, Any]] = summary["questions"]
        return by_question if by_question[2]["answered"] == 2 else None

    await eventually(summarized, within=10)
    questions = await summarized()
    assert questions is not None
    assert [q["distribution"] for q in questions] == [
        [2, 0], [1, 1, 0], {"correct": 2, "wrong": 0}, [1, 1, 1, 1], [0, 0, 1, 1], [0, 1],
    ]  # fmt: skip
    assert questions[2]["typed"] == {"cafe": 2}  # "CAFE" and " Café ": one, as compared
    assert [q["kind"] for q in questions] == [q["kind"] for q in KINDS]


async def test_an_open_quiz_charges_its_penalty_for_wrong_answers_only(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:  # fmt: skip
    """A score may go below 0; PostgreSQL and the board still agree."""
    workers.start()
    questions = [
        {"kind": "choice", "prompt": "Wrong", "choices": ["a", "b"], "answer": 0, "points": 10},
        {"kind": "choice", "prompt": "Warm-up", "choices": ["a", "b"], "answer": 0, "points": 0},
        {"kind": "poll", "prompt": "Poll", "choices": ["a", "b"]},
        {"kind": "multi", "prompt": "Half", "choices": ["a", "b"], "answers": [0, 1],
         "partial": True, "points": 10},
    ]  # fmt: skip
    body = {**quiz_body(), "questions": questions, "wrong_answer_penalty": 25}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    assert quiz["wrong_answer_penalty"] == 25
    player = await join(api, quiz["id"], "Unlucky")
    given = [1, 1, 0, [0]]
    replies = [await post_answer(api, quiz["id"], player, q["id"], a)
               for q, a in zip(quiz["questions"], given, strict=True)]  # fmt: skip
    assert [r["points"] for r in replies] == [-25, 0, 0, 5]

    async def counted() -> bool:
        cursor = await db.execute(
            "SELECT sum(points) FROM user_answer WHERE player_id = %s", (player["player_id"],)
        )
        row = await cursor.fetchone()
        board = await board_scores(redis, quiz)
        return row is not None and row[0] == -20 and board.get(player["player_id"]) == -20

    await eventually(counted, within=10)


async def stamped_elapsed(redis: aioredis.Redis, quiz: dict[str, Any], state: dict[str, Any],
                          event_id: str) -> int:  # fmt: skip
    """How long after the question opened the accepting script timed the answer."""
    stream = KEYS.stream(quiz["partition"], "answers")
    [(_, fields)] = await redis.xrange(stream, event_id, event_id)
    answered_at = int(fields[b"d"].split(b'"answered_at":')[1].split(b"}")[0])
    return answered_at - int(state["opened_at"])


async def test_every_kind_in_a_live_quiz_scores_its_share_with_speed(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis, gateway: Gateway
) -> None:
    """Each kind's answer earns the model's points for its share and the time the
    script stamped; a wrong one costs the penalty (a poll never); the results say the
    right answer as the kind has it, with the explanation."""
    workers.start()
    questions = [{**q, "time_limit_s": 60} for q in KINDS]
    for q in questions:
        q.pop("points", None)
    body = {**quiz_body(), "mode": "live", "questions": questions, "wrong_answer_penalty": 50}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    player = await join(api, quiz["id"], "Live kinds")
    await join(api, quiz["id"], "Idle")  # who never answers: no question closes early
    shares = {"true_false": 1.0, "multi": 0.0, "text": 1.0, "order": 1.0, "match": 0.5,
              "poll": 0.0}  # fmt: skip
    streak, last, results = 0, None, []
    async with watching(gateway.url(quiz["id"], quiz["host_token"])) as watcher:
        for index in range(len(questions)):
            state = await host(api, quiz, "next")
            question = state["question"]
            kind = question["kind"]
            assert kind == questions[index]["kind"]
            given, _ = answer_for(question)
            reply = await post_answer(api, quiz["id"], player, question["id"], given)
            elapsed = await stamped_elapsed(redis, quiz, state, reply["event_id"])
            right = shares[kind] == 1.0
            streak = streak_after(streak, last, index + 1, right)
            last = index + 1 if right else last
            penalty = 0 if kind == "poll" else 50
            expected = live_points(1000, shares[kind], elapsed, 60_000, streak, penalty)
            assert (reply["correct"], reply["points"]) == (right, expected), (kind, reply)
            await host(api, quiz, "reveal")
            results.append(await watcher.next("question_results"))
    assert results[0]["explanation"] == "American English writes 'color'."
    assert results[0]["answer"] == 0  # True
    assert results[1]["answers"] == [0, 2]
    assert results[3]["items"] == KINDS[3]["items"]
    assert results[4]["pairs"] == PAIRS
    assert "explanation" not in results[1]
    # Per choice picked, per position right, per pair right; a typed answer: right/wrong.
    assert [r["distribution"] for r in results] == [
        [1, 0], [1, 1, 0], {"correct": 1, "wrong": 0}, [1, 1, 1, 1], [0, 0, 1, 1], [0, 1],
    ]  # fmt: skip


async def test_a_live_question_with_no_timer_stays_open_until_the_host_reveals_it(
    api: httpx.AsyncClient, workers: Workers, redis: aioredis.Redis, gateway: Gateway,
    db: psycopg.AsyncConnection[Any],
) -> None:  # fmt: skip
    workers.start()  # with the closer, which must leave it open
    questions = [{**KINDS[2], "time_limit_s": None}]
    questions[0].pop("points")
    body = {**quiz_body(), "mode": "live", "questions": questions}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz = created.json()
    assert quiz["questions"][0]["time_limit_s"] is None
    player = await join(api, quiz["id"], "Slow")
    await join(api, quiz["id"], "Idle")
    async with watching(gateway.url(quiz["id"], quiz["host_token"])) as watcher:
        opened = await host(api, quiz, "next")
        assert (opened["phase"], opened["closes_at"]) == ("question", None)
        assert (await watcher.next("question"))["closes_at"] is None
        live = KEYS.quiz(quiz["partition"], quiz["id"]).live
        await redis.hset(live, "opened", int(opened["opened_at"]) - 3_600_000)  # an hour ago
        reply = await post_answer(api, quiz["id"], player, opened["question"]["id"], "cafe")
        assert (reply["correct"], reply["points"]) == (True, 1000)  # no timer: full speed
        state = (await api.get(f"/quizzes/{quiz['id']}/state")).json()
        assert (state["phase"], state["closes_at"]) == ("question", None)
        await host(api, quiz, "reveal")
        assert (await watcher.next("question_results"))["answered"] == 1
    cursor = await db.execute(
        "SELECT opened_at IS NOT NULL, closed_at IS NOT NULL FROM questions WHERE quiz_id = %s",
        (quiz["id"],),
    )
    assert await cursor.fetchall() == [(True, True)]
