"""What the Lua scripts write into the streams decodes with the types of core/events.py.

The intake's script XADDs join and answer events, and the Redis sinks' scripts
XADD change notices that they spell themselves: each entry here is decoded with
the strict msgspec type (unknown fields refused), so a script that drifts from
the type fails this test.
"""

from __future__ import annotations

from typing import Any

import httpx
import redis.asyncio as aioredis

from quizboard.core.events import (
    ANSWER_DECODER,
    CHANGE_DECODER,
    FIELD,
    JOIN_DECODER,
    AnswerEvent,
    ChangeEvent,
    JoinEvent,
)
from quizboard.core.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.core.live import MESSAGE_DECODER, QuestionMessage, QuestionResults, QuizFinished
from quizboard.settings import Settings
from tests.support.quizzes import ADMIN
from tests.support.stack import Gateway, Workers
from tests.support.steps import answer, create_live_quiz, create_quiz, eventually, host, join
from tests.support.watch import watching


async def entries(redis: aioredis.Redis, stream: str) -> list[tuple[str, bytes]]:
    rows: Any = await redis.xrange(stream)
    assert all(set(fields) == {FIELD.encode()} for _, fields in rows)
    return [(entry_id.decode(), fields[FIELD.encode()]) for entry_id, fields in rows]


async def test_every_event_a_script_writes_decodes_with_its_type(
    api: httpx.AsyncClient, settings: Settings, workers: Workers, redis: aioredis.Redis
) -> None:
    workers.start("joins-redis", "answers-redis")
    quiz = await create_quiz(api)
    keys, partition = Keys(settings.key_prefix), quiz["partition"]
    ada = await join(api, quiz["id"], "Ada")
    bo = await join(api, quiz["id"], "Bo")
    last = await answer(api, quiz, ada, 0)
    last = await answer(api, quiz, bo, 1)

    joins = [
        JOIN_DECODER.decode(raw) for _, raw in await entries(redis, keys.stream(partition, JOINS))
    ]
    assert all(isinstance(event, JoinEvent) for event in joins)
    assert [(e.quiz_id, e.player_id, e.display_name) for e in joins] == [
        (quiz["id"], ada["player_id"], "Ada"),
        (quiz["id"], bo["player_id"], "Bo"),
    ]
    answers = await entries(redis, keys.stream(partition, ANSWERS))
    decoded = [ANSWER_DECODER.decode(raw) for _, raw in answers]
    assert all(isinstance(event, AnswerEvent) for event in decoded)
    assert [(e.player_id, e.question_id) for e in decoded] == [
        (ada["player_id"], quiz["questions"][0]["id"]),
        (bo["player_id"], quiz["questions"][1]["id"]),
    ]
    assert answers[-1][0] == last["event_id"]

    async def covered() -> bool:
        changes = await entries(redis, keys.stream(partition, LB_CHANGES))
        notices = [CHANGE_DECODER.decode(raw) for _, raw in changes]
        return any(n.as_of == last["event_id"] for n in notices)

    await eventually(covered, within=5)
    changes = [
        CHANGE_DECODER.decode(raw)
        for _, raw in await entries(redis, keys.stream(partition, LB_CHANGES))
    ]
    assert all(isinstance(n, ChangeEvent) and n.quiz_id == quiz["id"] for n in changes)
    # joins-redis says "changed" without an as_of; answers-redis names the last answer.
    assert {n.as_of for n in changes} <= {"", *(entry_id for entry_id, _ in answers)}


async def test_what_a_live_quiz_s_scripts_write_decodes_with_its_type(
    api: httpx.AsyncClient, settings: Settings, gateway: Gateway, redis: aioredis.Redis
) -> None:
    quiz = await create_live_quiz(api)
    keys, partition = Keys(settings.key_prefix), quiz["partition"]
    ada = await join(api, quiz["id"], "Ada")
    await join(api, quiz["id"], "Bo")
    async with watching(gateway.url(quiz["id"], ADMIN)) as watcher:
        await watcher.next("leaderboard")
        await host(api, quiz, "next")
        reply = await answer(api, quiz, ada, 0)
        await host(api, quiz, "reveal")
        await host(api, quiz, "finish")
        await watcher.next("quiz_finished")
    raw = [json for json in watcher.raw if b'"leaderboard"' not in json]
    messages = [MESSAGE_DECODER.decode(json) for json in raw]
    assert [type(m) for m in messages] == [QuestionMessage, QuestionResults, QuizFinished]

    ((entry_id, event_raw),) = await entries(redis, keys.stream(partition, ANSWERS))
    event = ANSWER_DECODER.decode(event_raw)
    assert entry_id == reply["event_id"]
    assert (event.points, event.streak, event.correct) == (reply["points"], 1, True)
    opened = messages[0]
    assert isinstance(opened, QuestionMessage)
    assert opened.opened_at <= event.answered_at <= opened.closes_at
