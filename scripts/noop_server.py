"""The ceiling for the answer route: the same server stack with no I/O at all.

    uv run python scripts/noop_server.py --port 8200

Uvicorn with uvloop and httptools, Starlette, the answer body decoded and
validated with msgspec, a 202 with a JSON body: everything quizboard's answer
route does except checking the token, scoring, and talking to Redis. Enough of
the other routes exist for ``loadtest.py`` to drive it.
"""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from quizboard.core.models import AnswerIn, AnswerOut, JoinIn, JoinOut

SAMPLE = Path(__file__).parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"
ANSWER = msgspec.json.Decoder(AnswerIn)
JOIN = msgspec.json.Decoder(JoinIn)
ENCODE = msgspec.json.Encoder().encode


def create_app() -> Starlette:
    quiz = json.loads(SAMPLE.read_text())
    quiz.update(id=1, partition=0)
    for number, question in enumerate(quiz["questions"], start=1):
        question.update(id=number, position=number)
    players = itertools.count(1)
    events = itertools.count(1)

    async def create_quiz(request: Request) -> Response:
        await request.body()
        return Response(json.dumps(quiz), 201, media_type="application/json")

    async def join(request: Request) -> Response:
        JOIN.decode(await request.body())
        player = str(next(players))
        return Response(
            ENCODE(JoinOut(player, f"1.{player}.0.sig", 1)), 202, media_type="application/json"
        )

    async def answer(request: Request) -> Response:
        body = ANSWER.decode(await request.body())
        out = AnswerOut(correct=body.answer == 0, points=100, event_id=f"0-{next(events)}")
        return Response(ENCODE(out), 202, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/quizzes", create_quiz, methods=["POST"]),
            Route("/quizzes/{quiz_id}/join", join, methods=["POST"]),
            Route("/quizzes/{quiz_id}/answers", answer, methods=["POST"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8200)
    args = parser.parse_args()
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
