"""The brute-force design quizboard is measured against, with the same HTTP routes.

    uv run python scripts/naive_server.py --database-url postgresql://... --port 8100

- every join and answer is a synchronous INSERT into PostgreSQL from the request;
- the leaderboard is ``SUM(points) GROUP BY player ORDER BY ... LIMIT`` on every read;
- the WebSocket feed (``/quizzes/{id}`` on the same port) polls that query every
  500 ms for each client and sends it when it changed.

It shares quizboard's schema, scoring and tokens, so both give the same answers.
Run ``quizboard migrate`` against its database first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import uvicorn
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from quizboard.core.models import QuizIn, check_quiz
from quizboard.core.questions import ChoiceQuestionIn, Question, TextQuestionIn
from quizboard.core.scoring import judge
from quizboard.core.tokens import PlayerClaims, bearer, sign, verify

QUIZ = msgspec.json.Decoder(QuizIn)
ENCODE = msgspec.json.Encoder().encode
POLL = 0.5

BOARD = """
SELECT a.player_id::text AS player_id, coalesce(u.display_name, '') AS display_name,
       sum(a.points)::int AS score, rank() OVER (ORDER BY sum(a.points) DESC)::int AS rank
FROM user_answer a LEFT JOIN user_quiz u USING (quiz_id, player_id)
WHERE a.quiz_id = %s
GROUP BY a.player_id, u.display_name
ORDER BY score DESC, a.player_id DESC
LIMIT %s OFFSET %s
"""


def error(status: int, code: str, message: str) -> Response:
    return Response(
        ENCODE({"error": {"code": code, "message": message}}), status, media_type="application/json"
    )


def ok(body: Any, status: int = 200) -> Response:
    return Response(ENCODE(body), status, media_type="application/json")


def create_app(database_url: str, admin_token: str, secret: bytes) -> Starlette:
    pool = AsyncConnectionPool(database_url, min_size=4, max_size=32, open=False)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with pool:
            yield

    async def quiz_row(conn: Any, quiz_id: int) -> dict[str, Any] | None:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute("SELECT * FROM quizzes WHERE id = %s", (quiz_id,))
        row: dict[str, Any] | None = await cursor.fetchone()
        return row

    async def create_quiz(request: Request) -> Response:
        if bearer(request.headers.get("authorization")) != admin_token:
            return error(401, "unauthorized", "admin token required")
        quiz = QUIZ.decode(await request.body())
        check_quiz(quiz)
        async with pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "INSERT INTO quizzes (title, available_at, ends_at, partition)"
                " VALUES (%s, %s, %s, 0) RETURNING id",
                (quiz.title, quiz.available_at, quiz.ends_at),
            )
            quiz_id = (await cursor.fetchone() or [0])[0]
            questions = []
            for position, q in enumerate(quiz.questions, start=1):
                if isinstance(q, ChoiceQuestionIn):
                    kind, choices, accepted, answer = "choice", Jsonb(q.choices), None, q.answer
                elif isinstance(q, TextQuestionIn):
                    kind, choices, accepted, answer = "text", None, Jsonb(q.accepted), None
                else:  # the baseline plays the two kinds the benchmarks use
                    return error(422, "invalid_input", f"question {position}: not supported")
                cursor = await conn.execute(
                    "INSERT INTO questions (quiz_id, position, kind, prompt, choices, accepted,"
                    " answer, points) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (quiz_id, position, kind, q.prompt, choices, accepted, answer, q.points),
                )
                question = msgspec.to_builtins(q)
                question.update(
                    id=(await cursor.fetchone() or [0])[0],
                    position=position,
                    kind=kind,
                )
                questions.append(question)
        body = {
            "id": quiz_id,
            "title": quiz.title,
            "available_at": quiz.available_at,
            "ends_at": quiz.ends_at,
            "partition": 0,
            "questions": questions,
        }
        return ok(body, 201)

    async def get_quiz(request: Request) -> Response:
        quiz_id = int(request.path_params["quiz_id"])
        async with pool.connection() as conn:
            row = await quiz_row(conn, quiz_id)
            if row is None:
                return error(404, "quiz_not_found", "no such quiz")
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(
                "SELECT id, position, kind, prompt, points, choices"
                " FROM questions WHERE quiz_id = %s ORDER BY position",
                (quiz_id,),
            )
            row["questions"] = await cursor.fetchall()
        return ok(row)

    async def join(request: Request) -> Response:
        quiz_id = int(request.path_params["quiz_id"])
        name = json.loads(await request.body())["display_name"]
        async with pool.connection() as conn:
            row = await quiz_row(conn, quiz_id)
            if row is None:
                return error(404, "quiz_not_found", "no such quiz")
            now = time.time()
            if now < row["available_at"].timestamp():
                return error(403, "quiz_not_open", "not open yet")
            if now >= row["ends_at"].timestamp():
                return error(410, "quiz_ended", "ended")
            player = str(uuid.uuid4())
            await conn.execute(
                "INSERT INTO user_quiz (quiz_id, player_id, display_name, joined_at)"
                " VALUES (%s, %s, %s, now())",
                (quiz_id, player, name),
            )
        token = sign(secret, PlayerClaims(quiz_id, player, int(row["ends_at"].timestamp()) + 3600))
        return ok({"player_id": player, "token": token, "quiz_id": quiz_id}, 202)

    async def answer(request: Request) -> Response:
        quiz_id = int(request.path_params["quiz_id"])
        token = bearer(request.headers.get("authorization")) or ""
        claims = verify(secret, token, time.time())
        if claims.quiz_id != quiz_id:
            return error(403, "wrong_quiz", "token of another quiz")
        body = json.loads(await request.body())
        async with pool.connection() as conn:
            row = await quiz_row(conn, quiz_id)
            now = time.time()
            if (
                row is None
                or not row["available_at"].timestamp() <= now < row["ends_at"].timestamp()
            ):
                return error(410, "quiz_ended", "outside the window")
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(
                "SELECT id, position, kind, prompt, points, choices, answer, accepted"
                " FROM questions WHERE quiz_id = %s AND id = %s",
                (quiz_id, body["question_id"]),
            )
            found = await cursor.fetchone()
            if found is None:
                return error(404, "question_not_found", "no such question")
            verdict = judge(Question(**found), body["answer"])
            event_id = f"{int(now * 1000)}-0"
            inserted = await conn.execute(
                "INSERT INTO user_answer (quiz_id, player_id, question_id, answer, correct,"
                " points, answered_at, event_id) VALUES (%s, %s, %s, %s, %s, %s, now(), %s)"
                " ON CONFLICT DO NOTHING",
                (
                    quiz_id,
                    claims.player_id,
                    found["id"],
                    str(body["answer"]),
                    verdict.correct,
                    verdict.points,
                    event_id,
                ),
            )
            if inserted.rowcount == 0:
                return error(409, "already_answered", "already answered")
        return ok({"correct": verdict.correct, "points": verdict.points, "event_id": event_id}, 202)

    async def snapshot(quiz_id: int, limit: int, offset: int) -> dict[str, Any]:
        async with pool.connection() as conn:
            cursor = conn.cursor(row_factory=dict_row)
            await cursor.execute(BOARD, (quiz_id, limit, offset))
            entries = await cursor.fetchall()
            latest = await conn.execute(
                "SELECT count(*), coalesce(max(event_id), '') FROM user_answer WHERE quiz_id = %s",
                (quiz_id,),
            )
            _, as_of = await latest.fetchone() or (0, "")
            counted = await conn.execute(
                "SELECT count(*) FROM user_quiz WHERE quiz_id = %s", (quiz_id,)
            )
            players = (await counted.fetchone() or [0])[0]
        return {
            "quiz_id": quiz_id,
            "version": 0,
            "as_of": as_of,
            "total_players": players,
            "entries": entries,
        }

    async def leaderboard(request: Request) -> Response:
        quiz_id = int(request.path_params["quiz_id"])
        limit = int(request.query_params.get("limit", 10))
        offset = int(request.query_params.get("offset", 0))
        return ok(await snapshot(quiz_id, limit, offset))

    async def feed(websocket: WebSocket) -> None:
        quiz_id = int(websocket.path_params["quiz_id"])
        await websocket.accept()
        last = None
        version = 0
        try:
            while True:
                board = await snapshot(quiz_id, 10, 0)
                if board != last:
                    version += 1
                    await websocket.send_text(
                        ENCODE({"type": "leaderboard", **board, "version": version}).decode()
                    )
                    last = board
                await asyncio.sleep(POLL)
        except WebSocketDisconnect:
            return

    async def healthz(request: Request) -> Response:
        return ok({"status": "ok"})

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/quizzes", create_quiz, methods=["POST"]),
        Route("/quizzes/{quiz_id:int}", get_quiz, methods=["GET"]),
        Route("/quizzes/{quiz_id:int}/join", join, methods=["POST"]),
        Route("/quizzes/{quiz_id:int}/answers", answer, methods=["POST"]),
        Route("/quizzes/{quiz_id:int}/leaderboard", leaderboard, methods=["GET"]),
        WebSocketRoute("/quizzes/{quiz_id:int}", feed),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("QUIZBOARD_DATABASE_URL"))
    parser.add_argument("--admin-token", default=os.environ.get("QUIZBOARD_ADMIN_TOKEN", ""))
    parser.add_argument("--secret", default=os.environ.get("QUIZBOARD_SECRET", ""))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    if not args.database_url or not args.secret:
        sys.exit("--database-url and --secret (or their QUIZBOARD_* variables) are required")
    app = create_app(args.database_url, args.admin_token, args.secret.encode())
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
