"""Player routes: join a quiz, answer its questions, see where you stand."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.intake import Intake
from quizboard.api.requests import (
    client_address,
    decode_body,
    path_id,
    player_claims,
    query_int,
)
from quizboard.api.responses import json_response
from quizboard.api.state import Services, services
from quizboard.core.errors import AlreadyAnswered, InvalidInput, NotFound, Unauthorized
from quizboard.core.events import AnswerEvent, JoinEvent, LiveAnswerHead
from quizboard.core.identity import AppUser, verify_app_jwt
from quizboard.core.live import bucket
from quizboard.core.models import (
    AnswerIn,
    AnswerOut,
    JoinIn,
    JoinOut,
    Question,
    clean_display_name,
)
from quizboard.core.scoring import Verdict, judge
from quizboard.core.tokens import PlayerClaims, bearer, sign
from quizboard.store.accept import LiveAnswer
from quizboard.store.leaderboard import read_standing
from quizboard.store.results import stored_standing

MAX_AROUND = 50
JOIN_DECODER = msgspec.json.Decoder(JoinIn)
ANSWER_DECODER = msgspec.json.Decoder(AnswerIn)


async def join(request: Request) -> Response:
    """``POST /quizzes/{id}/join``: a player id and token; 202 once enqueued.

    With the app's JWT the player is its ``sub``: joining again answers 200 with the
    same player and a fresh token, and adds no event.
    """
    s = services(request)
    quiz_id = path_id(request, "quiz_id")
    user = _app_user(request, s)
    body = await decode_body(request, JOIN_DECODER, s.settings.max_body_bytes)
    named = body.display_name or (user.name or user.sub if user else None)
    if named is None:
        raise InvalidInput("display_name is required", code="invalid_display_name")
    display_name = clean_display_name(named)
    config = await s.catalog.get(quiz_id)
    now = time.time()
    config.check_open(now)
    player_id = user.sub if user else str(uuid.uuid4())
    expires_at = int(config.ends_at.timestamp()) + s.settings.token_grace_s
    token = sign(s.secret, PlayerClaims(quiz_id, player_id, expires_at))
    event = JoinEvent(quiz_id, player_id, display_name, int(now * 1000))
    address = client_address(request, s.trusted_proxies)
    if await s.intake.join(config.partition, event, address) is None:
        return json_response(JoinOut(player_id, token, quiz_id), 200)  # joined before
    s.metrics.joins_accepted.inc()
    return json_response(JoinOut(player_id, token, quiz_id), 202)


def _app_user(request: Request, s: Services) -> AppUser | None:
    """The app's user named by the join's JWT; ``None`` for an anonymous join."""
    token = bearer(request.headers.get("authorization"))
    if token is None:
        if not s.settings.anonymous_join:
            raise Unauthorized(
                "joining takes the app's token: Authorization: Bearer <JWT>",
                code="identity_required",
            )
        return None
    if not s.jwt.enabled:
        raise Unauthorized(
            "this server takes no app tokens: join without Authorization",
            code="jwt_not_accepted",
        )
    return verify_app_jwt(token, s.jwt)


async def answer(request: Request) -> Response:
    """``POST /quizzes/{id}/answers``: score an answer and enqueue it, once per question."""
    s = services(request)
    quiz_id = path_id(request, "quiz_id")
    now = time.time()
    claims = player_claims(request, quiz_id, s.secret, now)
    body = await decode_body(request, ANSWER_DECODER, s.settings.max_body_bytes)
    config = await s.catalog.get(quiz_id)
    config.check_open(now)
    question = config.question(body.question_id)
    if question is None:
        raise NotFound(
            f"question {body.question_id} is not part of quiz {quiz_id}",
            code="question_not_found",
        )
    verdict = judge(question, body.answer)
    taken = _Taken(
        quiz_id, claims.player_id, question, str(body.answer), verdict,
        keep_until_ms=(claims.expires_at + s.settings.token_grace_s) * 1000,
        address=client_address(request, s.trusted_proxies), at_ms=int(now * 1000),
    )  # fmt: skip
    accept = _accept_live if config.live else _accept_open
    with s.tracing.span("accept answer", quiz_id=quiz_id, mode=config.mode) as traceparent:
        out = await accept(s.intake, config.partition, taken, traceparent)
    if out is None:
        raise AlreadyAnswered(f"question {question.id} was already answered by this player")
    s.metrics.answers_accepted.inc()
    return json_response(out, 202)


@dataclass(frozen=True, slots=True)
class _Taken:
    """An answer the API has checked and judged, on its way to the intake."""

    quiz_id: int
    player_id: str
    question: Question
    answer: str
    verdict: Verdict
    keep_until_ms: int
    address: str
    at_ms: int


async def _accept_open(
    intake: Intake, partition: int, taken: _Taken, trace: str
) -> AnswerOut | None:
    """An open quiz's answer: its points are the verdict's; ``None`` for a repeat."""
    event = AnswerEvent(
        quiz_id=taken.quiz_id,
        player_id=taken.player_id,
        question_id=taken.question.id,
        answer=taken.answer,
        correct=taken.verdict.correct,
        points=taken.verdict.points,
        answered_at=taken.at_ms,
        trace=trace,
    )
    event_id = await intake.answer(partition, event, taken.keep_until_ms, taken.address)
    if event_id is None:
        return None
    return AnswerOut(taken.verdict.correct, taken.verdict.points, event_id)


async def _accept_live(
    intake: Intake, partition: int, taken: _Taken, trace: str
) -> AnswerOut | None:
    """A live quiz's answer: the accepting script times it and adds the streak."""
    correct, question = taken.verdict.correct, taken.question
    head = LiveAnswerHead(taken.quiz_id, taken.player_id, question.id, taken.answer, correct, trace)
    live = LiveAnswer(head, question.position, bucket(question, taken.answer, correct))
    decided = await intake.live_answer(partition, live, taken.keep_until_ms, taken.address)
    if decided is None:
        return None
    return AnswerOut(correct, decided.points, decided.event_id, decided.streak)


async def my_standing(request: Request) -> Response:
    """``GET /quizzes/{id}/leaderboard/me[?around=N]``: the caller's rank and score, and
    with ``around`` the entries just above and below."""
    s = services(request)
    quiz_id = path_id(request, "quiz_id")
    claims = player_claims(request, quiz_id, s.secret, time.time())
    around = query_int(request, "around", 0, 0, MAX_AROUND)
    config = await s.catalog.get(quiz_id)
    standing = await read_standing(
        s.redis, s.keys, config.partition, quiz_id, claims.player_id, around
    )
    if standing.total_players == 0 and config.ended(time.time()):
        # An ended quiz whose Redis keys expired: PostgreSQL holds its board.
        standing = await stored_standing(s.pool, quiz_id, claims.player_id, around)
    return json_response(standing)
