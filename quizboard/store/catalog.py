"""The quiz catalog: quizzes are written to PostgreSQL, then cached in Redis and in memory.

A quiz never changes once created, so a copy in process memory stays true.
Redis holds it until the quiz ends; past that, or when the cache was lost,
PostgreSQL answers and the catalog fills the caches again.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime
from typing import Any

import msgspec
import redis.exceptions
from psycopg import AsyncCursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from quizboard.core.errors import NotFound
from quizboard.core.keys import Keys
from quizboard.core.models import (
    CONFIG_DECODER,
    CONFIG_ENCODER,
    ChoiceQuestionIn,
    Mode,
    Question,
    QuestionIn,
    QuizConfig,
    QuizIn,
    QuizSummary,
    check_quiz,
    question_points,
)
from quizboard.store.connections import Pool, Redis

log = logging.getLogger(__name__)

MEMORY_LIMIT = 10_000

INSERT_QUIZ = """
INSERT INTO quizzes (title, available_at, ends_at, partition, mode, phase)
VALUES (%s, %s, %s, %s, %s, %s)
RETURNING id
"""
INSERT_QUESTION = """
INSERT INTO questions (quiz_id, position, kind, prompt, choices, accepted, answer, points,
                       time_limit_s)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
SELECT_QUIZ = """
SELECT id, title, available_at, ends_at, partition, mode FROM quizzes WHERE id = %s
"""
SELECT_QUESTIONS = """
SELECT id, position, kind, prompt, points, choices, answer, accepted, time_limit_s
FROM questions WHERE quiz_id = %s ORDER BY position
"""
SELECT_SUMMARIES = """
SELECT q.id, q.title, q.available_at, q.ends_at, q.partition,
       (SELECT count(*) FROM questions WHERE quiz_id = q.id)::int AS questions
FROM quizzes q ORDER BY q.id DESC LIMIT %s OFFSET %s
"""


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class QuizCatalog:
    """Creates quizzes and finds their config, through the memory and Redis caches."""

    def __init__(self, pool: Pool, redis: Redis, keys: Keys, partitions: int) -> None:
        self._pool = pool
        self._redis = redis
        self._keys = keys
        self._partitions = partitions
        self._memory: dict[int, QuizConfig] = {}

    async def create(self, quiz: QuizIn) -> QuizConfig:
        """Store a new quiz in PostgreSQL, then cache it; return it with its ids."""
        check_quiz(quiz)
        partition = random.randrange(self._partitions)
        async with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=dict_row)
            phase = "lobby" if quiz.mode == "live" else None
            await cursor.execute(
                INSERT_QUIZ,
                (quiz.title, quiz.available_at, quiz.ends_at, partition, quiz.mode, phase),
            )
            quiz_id: int = (await _one(cursor))["id"]
            questions: list[Question] = []
            for position, question_in in enumerate(quiz.questions, start=1):
                q = _question(position, quiz.mode, question_in)
                await cursor.execute(
                    INSERT_QUESTION,
                    (quiz_id, q.position, q.kind, q.prompt, _json(q.choices), _json(q.accepted),
                     q.answer, q.points, q.time_limit_s),
                )  # fmt: skip
                questions.append(msgspec.structs.replace(q, id=(await _one(cursor))["id"]))
        config = QuizConfig(
            id=quiz_id,
            title=quiz.title,
            available_at=quiz.available_at,
            ends_at=quiz.ends_at,
            partition=partition,
            questions=questions,
            mode=quiz.mode,
        )
        await self._cache(config)
        return config

    async def get(self, quiz_id: int) -> QuizConfig:
        """The quiz's config, or :class:`NotFound`."""
        config = self._memory.get(quiz_id)
        if config is not None:
            return config
        raw = await self._redis.get(self._keys.quiz_config(quiz_id))
        if raw is not None:
            config = CONFIG_DECODER.decode(raw)
        else:
            config = await self._load(quiz_id)
            await self._cache(config)
        self._remember(config)
        return config

    async def summaries(self, limit: int, offset: int) -> list[QuizSummary]:
        """Quizzes, newest first, for the admin list."""
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(SELECT_SUMMARIES, (limit, offset))
            return [QuizSummary(**row) for row in await cursor.fetchall()]

    async def _load(self, quiz_id: int) -> QuizConfig:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(SELECT_QUIZ, (quiz_id,))
            row = await cursor.fetchone()
            if row is None:
                raise NotFound(f"quiz {quiz_id} does not exist", code="quiz_not_found")
            await cursor.execute(SELECT_QUESTIONS, (quiz_id,))
            questions = [Question(**q) for q in await cursor.fetchall()]
        return QuizConfig(**row, questions=questions)

    async def _cache(self, config: QuizConfig) -> None:
        """Cache in Redis until the quiz ends; a failure only costs a later PostgreSQL read."""
        ends_ms = _ms(config.ends_at)
        try:
            if ends_ms > _ms(datetime.now(config.ends_at.tzinfo)):
                await self._redis.set(
                    self._keys.quiz_config(config.id),
                    CONFIG_ENCODER.encode(config),
                    pxat=ends_ms,
                )
        except redis.exceptions.RedisError as exc:
            log.warning("could not cache quiz %s in Redis: %s", config.id, exc)
        self._remember(config)

    def _remember(self, config: QuizConfig) -> None:
        if len(self._memory) >= MEMORY_LIMIT:
            self._memory.pop(next(iter(self._memory)))
        self._memory[config.id] = config


async def _one(cursor: AsyncCursor[dict[str, Any]]) -> dict[str, Any]:
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - INSERT ... RETURNING always returns a row
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return row


def _json(value: list[str] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def _question(position: int, mode: Mode, question: QuestionIn) -> Question:
    """The question to store, before PostgreSQL gives it its id."""
    points, time_limit_s = question_points(mode, question)
    if isinstance(question, ChoiceQuestionIn):
        return Question(
            id=0,
            position=position,
            kind="choice",
            prompt=question.prompt,
            points=points,
            choices=list(question.choices),
            answer=question.answer,
            time_limit_s=time_limit_s,
        )
    return Question(
        id=0,
        position=position,
        kind="text",
        prompt=question.prompt,
        points=points,
        accepted=list(question.accepted),
        time_limit_s=time_limit_s,
    )
