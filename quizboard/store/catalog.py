"""The quiz catalog: quizzes are written to PostgreSQL, then cached in Redis and in memory.

A quiz can change (or go) only before it opens. So a copy in process memory
read once the quiz had opened stays true; a copy read before is trusted for
:data:`FRESH_S` only, which is how every API process sees an edit within a
second. Redis holds the config until the quiz ends; past that, or when the
cache was lost, PostgreSQL answers and the catalog fills the caches again.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import datetime
from typing import Any

import msgspec
import redis.exceptions
from psycopg import AsyncCursor
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from quizboard.core.errors import Conflict, NotFound
from quizboard.core.keys import Keys
from quizboard.core.live import starting_phase
from quizboard.core.models import (
    CONFIG_DECODER,
    CONFIG_ENCODER,
    Mode,
    QuizConfig,
    QuizIn,
    QuizPage,
    QuizPatch,
    QuizSummary,
    Status,
    check_quiz,
    patched,
    question_points,
    team_names,
)
from quizboard.core.questions import Question, QuestionIn, spec_of, stored, stored_question
from quizboard.store.connections import Connections, Redis

log = logging.getLogger(__name__)

MEMORY_LIMIT = 10_000
FRESH_S = 1.0  # how long a copy read before the quiz opened is trusted
DELETED = b"deleted"  # the cached config of a quiz removed a moment ago
TOMBSTONE_MS = 60_000

INSERT_QUIZ = """
INSERT INTO quizzes (title, available_at, ends_at, partition, mode, phase,
                     wrong_answer_penalty, late_join, names, language, owner, teams,
                     team_score, board_between_questions)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
INSERT_QUESTION = """
INSERT INTO questions (quiz_id, position, kind, prompt, choices, accepted, answer, points,
                       time_limit_s, spec, explanation)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING id
"""
SELECT_QUIZ = """
SELECT id, title, available_at, ends_at, partition, mode, wrong_answer_penalty, late_join,
       names, language, owner, teams, team_score, board_between_questions
FROM quizzes WHERE id = %s
"""
SELECT_QUESTIONS = """
SELECT id, position, kind, prompt, points, choices, answer, accepted, time_limit_s,
       explanation, spec
FROM questions WHERE quiz_id = %s ORDER BY position
"""
SELECT_PAGE = """
SELECT q.id, q.title, q.available_at, q.ends_at, q.partition,
       (SELECT count(*) FROM questions WHERE quiz_id = q.id)::int AS questions, q.mode
FROM quizzes q
WHERE (%(before)s::bigint IS NULL OR q.id < %(before)s)
  AND (%(owner)s::text IS NULL OR q.owner = %(owner)s)
  AND (%(status)s::text IS NULL
       OR (%(status)s = 'upcoming' AND q.available_at > now())
       OR (%(status)s = 'open' AND q.available_at <= now() AND q.ends_at > now())
       OR (%(status)s = 'ended' AND q.ends_at <= now()))
ORDER BY q.id DESC LIMIT %(limit)s
"""
# Edits and removals hold only before the quiz opens, by the database's clock.
LOCK_UNOPENED = "SELECT available_at > now() AS unopened FROM quizzes WHERE id = %s FOR UPDATE"
UPDATE_QUIZ = """
UPDATE quizzes SET title = %s, available_at = %s, ends_at = %s, mode = %s, phase = %s,
                   wrong_answer_penalty = %s, late_join = %s, names = %s, language = %s,
                   teams = %s, team_score = %s, board_between_questions = %s
WHERE id = %s
"""
DELETE_QUIZ = "DELETE FROM quizzes WHERE id = %s"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class QuizCatalog:
    """Creates quizzes and finds their config, through the memory and Redis caches."""

    def __init__(self, pool: Connections, redis: Redis, keys: Keys, partitions: int) -> None:
        self._pool = pool
        self._redis = redis
        self._keys = keys
        self._partitions = partitions
        self._memory: dict[int, tuple[QuizConfig, float]] = {}  # config, when read

    async def create(self, quiz: QuizIn, owner: str | None = None) -> QuizConfig:
        """Store a new quiz in PostgreSQL, then cache it; return it with its ids.
        ``owner`` is the app user who created it (``None``: the admin)."""
        check_quiz(quiz)
        partition = random.randrange(self._partitions)
        async with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=dict_row)
            phase = starting_phase(quiz.mode)
            await cursor.execute(
                INSERT_QUIZ,
                (
                    quiz.title,
                    quiz.available_at,
                    quiz.ends_at,
                    partition,
                    quiz.mode,
                    phase,
                    quiz.wrong_answer_penalty,
                    quiz.late_join,
                    quiz.names,
                    quiz.language,
                    owner,
                    Jsonb(team_names(quiz)),
                    quiz.team_score,
                    quiz.board_between_questions,
                ),
            )
            quiz_id: int = (await _one(cursor))["id"]
            questions = await _insert_questions(cursor, quiz_id, quiz)
        config = QuizConfig(
            id=quiz_id,
            title=quiz.title,
            available_at=quiz.available_at,
            ends_at=quiz.ends_at,
            partition=partition,
            questions=questions,
            mode=quiz.mode,
            wrong_answer_penalty=quiz.wrong_answer_penalty,
            late_join=quiz.late_join,
            names=quiz.names,
            language=quiz.language,
            owner=owner,
            teams=team_names(quiz),
            team_score=quiz.team_score,
            board_between_questions=quiz.board_between_questions,
        )
        await self._cache(config)
        return config

    async def get(self, quiz_id: int) -> QuizConfig:
        """The quiz's config, or :class:`NotFound`."""
        held = self._memory.get(quiz_id)
        if held is not None:
            config, read_at = held
            if read_at >= config.available_at.timestamp() or time.time() - read_at < FRESH_S:
                return config
        raw = await self._redis.get(self._keys.quiz_config(quiz_id))
        if raw == DELETED:
            raise NotFound(f"quiz {quiz_id} does not exist", code="quiz_not_found")
        if raw is not None:
            config = CONFIG_DECODER.decode(raw)
        else:
            config = await self._load(quiz_id)
            await self._cache(config)
        self._remember(config)
        return config

    async def page(
        self, limit: int, before: int | None, status: Status | None, owner: str | None = None
    ) -> QuizPage:
        """Quizzes newest first, ``limit`` of them, older than quiz ``before``; only
        ``owner``'s when given."""
        params = {"before": before, "status": status, "limit": limit + 1, "owner": owner}
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(SELECT_PAGE, params)
            rows = [QuizSummary(**row) for row in await cursor.fetchall()]
        more = len(rows) > limit
        return QuizPage(rows[:limit], str(rows[limit - 1].id) if more else None)

    async def update(self, quiz_id: int, patch: QuizPatch) -> QuizConfig:
        """Apply ``patch`` to a quiz that has not opened; 409 ``quiz_started`` once it has."""
        current = await self._load(quiz_id)
        quiz = patched(current, patch)
        check_quiz(quiz)
        async with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=dict_row)
            await _lock_unopened(cursor, quiz_id)
            phase = starting_phase(quiz.mode)
            await cursor.execute(UPDATE_QUIZ, (quiz.title, quiz.available_at, quiz.ends_at,
                                               quiz.mode, phase, quiz.wrong_answer_penalty,
                                               quiz.late_join, quiz.names, quiz.language,
                                               Jsonb(team_names(quiz)), quiz.team_score,
                                               quiz.board_between_questions,
                                               quiz_id))  # fmt: skip
            await cursor.execute("DELETE FROM questions WHERE quiz_id = %s", (quiz_id,))
            await _insert_questions(cursor, quiz_id, quiz)
        config = await self._load(quiz_id)
        await self._cache(config, edited=True)
        return config

    async def delete(self, quiz_id: int) -> None:
        """Remove a quiz that has not opened; 409 ``quiz_started`` once it has."""
        async with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=dict_row)
            await _lock_unopened(cursor, quiz_id)
            await cursor.execute(DELETE_QUIZ, (quiz_id,))
        self._memory.pop(quiz_id, None)
        # A tombstone, not a DEL: a reader that loaded the quiz just before the delete
        # committed caches only where nothing is (NX), so it cannot bring it back.
        await self._redis.set(self._keys.quiz_config(quiz_id), DELETED, px=TOMBSTONE_MS)

    async def _load(self, quiz_id: int) -> QuizConfig:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(SELECT_QUIZ, (quiz_id,))
            row = await cursor.fetchone()
            if row is None:
                raise NotFound(f"quiz {quiz_id} does not exist", code="quiz_not_found")
            await cursor.execute(SELECT_QUESTIONS, (quiz_id,))
            questions = [stored(q, q.pop("spec")) for q in await cursor.fetchall()]
        return QuizConfig(**row, questions=questions)

    async def _cache(self, config: QuizConfig, *, edited: bool = False) -> None:
        """Cache in Redis until the quiz ends.

        A config read from PostgreSQL is cached only where none is (``NX``): an edit
        committed meanwhile, and cached by its editor, must not be overwritten by the
        older copy. An edit overwrites, and its failure is the edit's: the caller
        answers 503 and the admin retries, rather than leave the old config cached.
        Otherwise a failure only costs a later PostgreSQL read.
        """
        ends_ms = _ms(config.ends_at)
        try:
            if ends_ms > _ms(datetime.now(config.ends_at.tzinfo)):
                await self._redis.set(
                    self._keys.quiz_config(config.id),
                    CONFIG_ENCODER.encode(config),
                    pxat=ends_ms,
                    nx=not edited,
                )
        except redis.exceptions.RedisError as exc:
            if edited:
                raise
            log.warning("could not cache quiz %s in Redis: %s", config.id, exc)
        self._remember(config)

    def _remember(self, config: QuizConfig) -> None:
        if len(self._memory) >= MEMORY_LIMIT:
            self._memory.pop(next(iter(self._memory)))
        self._memory[config.id] = (config, time.time())


async def _one(cursor: AsyncCursor[dict[str, Any]]) -> dict[str, Any]:
    row = await cursor.fetchone()
    if row is None:  # pragma: no cover - INSERT ... RETURNING always returns a row
        raise RuntimeError("INSERT ... RETURNING returned no row")
    return row


async def _lock_unopened(cursor: AsyncCursor[dict[str, Any]], quiz_id: int) -> None:
    await cursor.execute(LOCK_UNOPENED, (quiz_id,))
    row = await cursor.fetchone()
    if row is None:
        raise NotFound(f"quiz {quiz_id} does not exist", code="quiz_not_found")
    if not row["unopened"]:
        raise Conflict(f"quiz {quiz_id} has opened: it can no longer change", code="quiz_started")


async def _insert_questions(
    cursor: AsyncCursor[dict[str, Any]], quiz_id: int, quiz: QuizIn
) -> list[Question]:
    questions = []
    for position, question_in in enumerate(quiz.questions, start=1):
        q = _question(position, quiz.mode, question_in)
        await cursor.execute(
            INSERT_QUESTION,
            (quiz_id, q.position, q.kind, q.prompt, _json(q.choices), _json(q.accepted),
             q.answer, q.points, q.time_limit_s, Jsonb(spec_of(q)), q.explanation),
        )  # fmt: skip
        questions.append(msgspec.structs.replace(q, id=(await _one(cursor))["id"]))
    return questions


def _json(value: list[str] | None) -> Jsonb | None:
    return None if value is None else Jsonb(value)


def _question(position: int, mode: Mode, question: QuestionIn) -> Question:
    """The question to store, before PostgreSQL gives it its id."""
    return stored_question(position, *question_points(mode, question), question)
