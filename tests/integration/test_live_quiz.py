"""A live quiz, host-paced, over HTTP and WebSocket, on real servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest
import redis.asyncio as aioredis

from quizboard.core.scoring import speed_points, streak_after, streak_bonus
from tests.support.quizzes import ADMIN, BACKENDS
from tests.support.stack import Gateway, Workers
from tests.support.steps import (
    KEYS,
    answer,
    board_scores,
    count,
    create_live_quiz,
    eventually,
    host,
    join,
    kill_pubsub_clients,
)
from tests.support.watch import watching

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


async def post_answer(
    api: httpx.AsyncClient, quiz: dict[str, Any], player: dict[str, Any], index: int
) -> httpx.Response:
    question = quiz["questions"][index]
    value = question["answer"] if question["kind"] == "choice" else question["accepted"][0]
    return await api.post(
        f"/quizzes/{quiz['id']}/answers",
        json={"question_id": question["id"], "answer": value},
        headers={"Authorization": f"Bearer {player['token']}"},
    )


async def run_out(redis: aioredis.Redis, quiz: dict[str, Any]) -> None:
    """Make the open question's time run out 1 ms ago, on Valkey's clock."""
    seconds, micros = await redis.time()
    closes = seconds * 1000 + micros // 1000 - 1
    await redis.hset(KEYS.quiz(quiz["partition"], quiz["id"]).live, "closes", closes)
    await redis.zadd(KEYS.closing(quiz["partition"]), {str(quiz["id"]): closes})


def stream_id(entry_id: str) -> tuple[int, int]:
    """A stream entry id, comparable; ``""`` (a board with no answer yet) before all."""
    if not entry_id:
        return (0, 0)
    milliseconds, sequence = entry_id.split("-")
    return int(milliseconds), int(sequence)


ANSWERS_SQL = """
SELECT a.player_id::text, q.position, a.correct, a.points,
       round(extract(epoch FROM a.answered_at) * 1000)::bigint,
       round(extract(epoch FROM q.opened_at) * 1000)::bigint, q.time_limit_s
FROM user_answer a JOIN questions q ON q.quiz_id = a.quiz_id AND q.id = a.question_id
WHERE a.quiz_id = %s ORDER BY q.position
"""


async def test_a_live_quiz_runs_from_the_lobby_to_the_final_board(
    api: httpx.AsyncClient,
    workers: Workers,
    gateway: Gateway,
    redis: aioredis.Redis,
    db: psycopg.AsyncConnection[Any],
) -> None:
    workers.start()
    quiz = await create_live_quiz(api)
    quiz_id, questions = quiz["id"], quiz["questions"]
    alice, bob, carol = [await join(api, quiz_id, name) for name in ("Alice", "Bob", "Carol")]
    async with watching(gateway.url(quiz_id, ADMIN)) as watcher:
        await watcher.next("leaderboard")
        assert (await api.get(f"/quizzes/{quiz_id}/state")).json()["phase"] == "lobby"
        early = await post_answer(api, quiz, alice, 0)
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "question_not_open"

        # Question 1: two of three answer; the host reveals.
        opened = await host(api, quiz, "next")
        shown = await watcher.next("question")
        assert shown["question"]["id"] == questions[0]["id"] == opened["question"]["id"]
        assert "answer" not in shown["question"]
        assert shown["closes_at"] - shown["opened_at"] == 20_000
        assert shown["opened_at"] == opened["opened_at"]
        replies = {"alice": [await answer(api, quiz, alice, 0)],
                   "bob": [await answer(api, quiz, bob, 0, right=False)], "carol": []}  # fmt: skip
        ahead = await post_answer(api, quiz, alice, 1)
        assert ahead.json()["error"]["code"] == "question_not_open"
        revealed = await host(api, quiz, "reveal")
        assert revealed["phase"] == "results"
        results = await watcher.next("question_results")
        wrong = (questions[0]["answer"] + 1) % 4
        expected = [0, 0, 0, 0]
        expected[questions[0]["answer"]] += 1
        expected[wrong] += 1
        assert results["distribution"] == expected
        assert (results["answered"], results["total_players"]) == (2, 3)
        assert results["answer"] == questions[0]["answer"]

        # Question 2: everyone answers, so it closes at once, with no reveal.
        await host(api, quiz, "next")
        await watcher.next("question")
        for name, player in (("alice", alice), ("bob", bob), ("carol", carol)):
            replies[name].append(await answer(api, quiz, player, 1))
        results = await watcher.next("question_results")
        assert results["question_id"] == questions[1]["id"]
        assert (results["answered"], sum(results["distribution"])) == (3, 3)

        # Question 3 (text): its time runs out; 1 ms later an answer is refused, and the
        # timer publishes the results.
        await host(api, quiz, "next")
        await watcher.next("question")
        replies["alice"].append(await answer(api, quiz, alice, 2, right=False))
        replies["bob"].append(await answer(api, quiz, bob, 2))
        await run_out(redis, quiz)
        late = await post_answer(api, quiz, carol, 2)
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "question_closed"
        results = await watcher.next("question_results")
        assert results["distribution"] == {"correct": 1, "wrong": 1}
        assert results["answer"] == questions[2]["accepted"]

        finished = await host(api, quiz, "finish")
        assert finished["phase"] == "finished"
        ended = await watcher.next("quiz_finished")
        last_answer = max((r["event_id"] for rs in replies.values() for r in rs), key=stream_id)
        assert (ended["quiz_id"], ended["final_as_of"]) == (quiz_id, last_answer)
        await watcher.next("leaderboard")  # the board follows, as the workers apply the last
        assert [m["type"] for m in watcher.live()] == [
            "question", "question_results", "question", "question_results",
            "question", "question_results", "quiz_finished",
        ]  # fmt: skip
        as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
        gone = await api.post(f"/quizzes/{quiz_id}/next", headers=as_host)
        assert gone.json()["error"]["code"] == "quiz_finished"

        # Streaks: Alice right, right, wrong; Bob wrong, right, right; Carol -, right, (late).
        streaks = {name: [r["streak"] for r in rs] for name, rs in replies.items()}
        assert streaks == {"alice": [1, 2, 0], "bob": [0, 1, 2], "carol": [1]}

        # Every answer's points follow the formula for the time PostgreSQL recorded.
        async def all_written() -> bool:
            return (
                await count(db, "SELECT count(*) FROM user_answer WHERE quiz_id = %s", quiz_id) == 7
            )

        await eventually(all_written, within=10)
        rows = await (await db.execute(ANSWERS_SQL, (quiz_id,))).fetchall()
        held: dict[str, tuple[int, int | None]] = {}
        for player, position, correct, points, answered_ms, opened_ms, limit_s in rows:
            streak, last = held.get(player, (0, None))
            streak = streak_after(streak, last, position, correct)
            held[player] = (streak, position if correct else last)
            expected_points = 0
            if correct:
                expected_points = speed_points(1000, answered_ms - opened_ms, limit_s * 1000)
                expected_points += streak_bonus(streak)
            assert points == expected_points, (player, position)
        by_player: dict[str, int] = {}
        for player, _, _, points, *_ in rows:
            by_player[player] = by_player.get(player, 0) + points
        assert await board_scores(redis, quiz) == by_player
        # The final board: the first snapshot whose as_of reaches the last answer.
        final = watcher.log[-1]
        while final["type"] != "leaderboard" or stream_id(final["as_of"]) < stream_id(last_answer):
            final = await watcher.next("leaderboard")
        assert {e["player_id"]: e["score"] for e in final["entries"]} == by_player


async def test_a_client_entering_mid_question_gets_the_board_then_the_open_question(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis
) -> None:
    workers.start()
    quiz = await create_live_quiz(api)
    player = await join(api, quiz["id"], "Late")
    await join(api, quiz["id"], "Other")  # so that one answer does not close the question
    opened = await host(api, quiz, "next")
    await answer(api, quiz, player, 0)
    for _ in range(2):  # a first visit, then a reload
        async with watching(gateway.url(quiz["id"], player["token"])) as watcher:
            question = await watcher.next("question")
            assert [m["type"] for m in watcher.log[:2]] == ["leaderboard", "question"]
            assert question["question"]["id"] == quiz["questions"][0]["id"]
            assert (question["opened_at"], question["closes_at"]) == (
                opened["opened_at"], opened["closes_at"],
            )  # fmt: skip
            # server_time is when the gateway sent it, not when the question opened
            assert question["server_time"] >= opened["server_time"]
            assert question["closes_at"] - question["server_time"] <= 20_000
    # The host's own token watches too; after the reveal, a newcomer gets no question.
    await host(api, quiz, "reveal")
    async with watching(gateway.url(quiz["id"], quiz["host_token"])) as watcher:
        await watcher.next("leaderboard")
        await host(api, quiz, "next")
        assert (await watcher.next("question"))["question"]["position"] == 2
        await host(api, quiz, "reveal")
        await watcher.next("question_results")
    async with watching(gateway.url(quiz["id"], player["token"])) as watcher:
        await watcher.next("leaderboard")
        await join(api, quiz["id"], "Someone")  # a change: another snapshot
        await watcher.next("leaderboard", within=5)
        assert watcher.live() == []


@pytest.mark.parametrize("shown", ["question", "results", "lobby"])
async def test_what_a_gateway_missed_while_redis_was_away_reaches_its_clients(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis,
    shown: str,
) -> None:  # fmt: skip
    """The room showed an open question, its results, or the lobby; then its gateway's
    subscription dropped, and the host moved on before it was back."""
    quiz = await create_live_quiz(api)
    await join(api, quiz["id"], "Watcher")
    async with watching(gateway.url(quiz["id"], quiz["host_token"])) as watcher:
        await watcher.next("leaderboard")
        if shown != "lobby":
            await host(api, quiz, "next")
            await watcher.next("question")
        if shown == "results":
            await host(api, quiz, "reveal")
            await watcher.next("question_results")
        # Keep the gateway unsubscribed (it resubscribes within 0.1 s) while the host
        # finishes the quiz, from the lobby opening and revealing a whole question first.
        async with dropping_subscriptions(redis):
            if shown == "lobby":
                await host(api, quiz, "next")
                await host(api, quiz, "reveal")
            await host(api, quiz, "finish")
        if shown != "results":
            await watcher.next("question_results", within=10)
        assert (await watcher.next("quiz_finished", within=10))["quiz_id"] == quiz["id"]
        # A missed question is shown closed, then its results: each message once.
        live = watcher.live()
        assert [m["type"] for m in live] == ["question", "question_results", "quiz_finished"]
        first = quiz["questions"][0]["id"]
        assert live[0]["question"]["id"] == live[1]["question_id"] == first

        async def told_live_again() -> bool:
            return watcher.feed()[-1:] == [True]

        await eventually(told_live_again, within=10)
        assert watcher.feed()[0] is False  # the room heard of the loss first


@contextlib.asynccontextmanager
async def dropping_subscriptions(redis: aioredis.Redis) -> AsyncIterator[None]:
    """Kill every pub/sub connection at once and every 5 ms until the block ends."""
    assert await kill_pubsub_clients(redis) > 0

    async def keep_killing() -> None:
        while True:
            await asyncio.sleep(0.005)
            await kill_pubsub_clients(redis)

    task = asyncio.create_task(keep_killing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_live_message_a_room_already_had_goes_out_once(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway, redis: aioredis.Redis
) -> None:
    quiz = await create_live_quiz(api)
    await join(api, quiz["id"], "Once")
    channel = KEYS.channel(quiz["partition"], quiz["id"])
    async with watching(gateway.url(quiz["id"], quiz["host_token"])) as watcher:
        await watcher.next("leaderboard")
        for move, kind in [("next", "question"), ("reveal", "question_results"),
                           ("finish", "quiz_finished")]:  # fmt: skip
            await host(api, quiz, move)
            await watcher.next(kind)
        # The same messages again, as when a catch-up after a reconnect sent them first
        # and the subscription then delivers them too; then a probe of a type the
        # gateway passes on as it comes, to know the repeats were read.
        for raw, message in list(zip(watcher.raw, watcher.log, strict=True)):
            if message["type"] != "leaderboard":
                await redis.spublish(channel, raw)
        await redis.spublish(channel, b'{"type": "probe"}')
        await watcher.next("probe")
        assert [m["type"] for m in watcher.live()] == [
            "question",
            "question_results",
            "quiz_finished",
            "probe",
        ]
