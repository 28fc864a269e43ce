"""Player routes: join a quiz, answer its questions, see where you stand."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass

import msgspec
from starlette.responses import Response

from quizboard.api.endpoint import Call
from quizboard.api.inputs import client_address, decode_body, query_int
from quizboard.api.intake import Intake
from quizboard.api.responses import json_response
from quizboard.core.errors import AlreadyAnswered, Forbidden, InvalidInput, NameTaken, NotFound
from quizboard.core.events import AnswerEvent, JoinEvent, LiveAnswerHead
from quizboard.core.identity import AppUser
from quizboard.core.live import bucket
from quizboard.core.models import (
    AnswerIn,
    AnswerOut,
    JoinIn,
    JoinOut,
    QuizConfig,
    clean_display_name,
)
from quizboard.core.names import made_up_name
from quizboard.core.questions import Question
from quizboard.core.scoring import Answer, Verdict, answer_text, judge, penalized, penalty_of
from quizboard.core.tokens import PlayerClaims, sign
from quizboard.store.accept import LiveAnswer
from quizboard.store.leaderboard import read_standing
from quizboard.store.results import stored_standing

MAX_AROUND = 50
JOIN_DECODER = msgspec.json.Decoder(JoinIn)
ANSWER_DECODER = msgspec.json.Decoder(AnswerIn)


async def join(call: Call[AppUser | None]) -> Response:
    """``POST /quizzes/{id}/join``: a player id and token; 202 once enqueued.

    With the app's JWT the player is its ``sub``: joining again answers 200 with the
    same player and a fresh token, and adds no event. A quiz that hands out names
    gives the player one, whatever it asked for.
    """
    s, user, quiz_id = call.services, call.who, call.quiz_id
    body = await decode_body(call.request, JOIN_DECODER, s.settings.max_body_bytes)
    config = await s.catalog.get(quiz_id)
    config.check_open(call.now)
    player_id = user.sub if user else str(uuid.uuid4())
    names = _names(
        config, player_id, body.display_name or (user.name or user.sub if user else None)
    )
    expires_at = int(config.ends_at.timestamp()) + s.settings.token_grace_s
    token = sign(s.secret, PlayerClaims(quiz_id, player_id, expires_at))
    address = client_address(call.request, s.trusted_proxies)
    late_join = config.late_join or not config.live
    if body.team is not None and body.team >= len(config.teams):
        raise InvalidInput(
            f"team {body.team} is not one of the quiz's {len(config.teams)} teams",
            code="invalid_team",
        )

    async def join_as(display_name: str) -> Response:
        event = JoinEvent(quiz_id, player_id, display_name, int(call.now * 1000), team=body.team)
        joined = await s.intake.join(config.partition, event, address, late_join=late_join,
                                     team_count=len(config.teams))  # fmt: skip
        reply = JoinOut(player_id, token, quiz_id, display_name, joined.team)
        if joined.entry is None:  # joined before
            return json_response(reply, 200)
        s.metrics.joins_accepted.inc()
        return json_response(reply, 202)

    for display_name in names[:-1]:  # a made-up name another player has: the next one
        with contextlib.suppress(NameTaken):
            return await join_as(display_name)
    return await join_as(names[-1])


MADE_UP_TRIES = 6  # names made up for a player, tried in turn while others have them


def _names(config: QuizConfig, player_id: str, asked: str | None) -> list[str]:
    """The names to try, in turn: the one asked for (checked), or those the quiz
    makes up for the player."""
    if config.names == "generated":
        return [made_up_name(config.language, player_id, n) for n in range(MADE_UP_TRIES)]
    if asked is None:
        raise InvalidInput("display_name is required", code="invalid_display_name")
    return [clean_display_name(asked)]


async def answer(call: Call[PlayerClaims]) -> Response:
    """``POST /quizzes/{id}/answers``: score an answer and enqueue it, once per question."""
    s, claims, quiz_id, now = call.services, call.who, call.quiz_id, call.now
    body = await decode_body(call.request, ANSWER_DECODER, s.settings.max_body_bytes)
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
        quiz_id, claims.player_id, question, answer_text(body.answer), body.answer, verdict,
        penalty_of(question, config.wrong_answer_penalty),
        keep_until_ms=(claims.expires_at + s.settings.token_grace_s) * 1000,
        address=client_address(call.request, s.trusted_proxies), at_ms=int(now * 1000),
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
    given: Answer  # as sent, for the distribution's counts
    verdict: Verdict
    penalty: int  # what the answer costs when it earns nothing
    keep_until_ms: int
    address: str
    at_ms: int


async def _accept_open(
    intake: Intake, partition: int, taken: _Taken, trace: str
) -> AnswerOut | None:
    """An open quiz's answer: its points are the verdict's; ``None`` for a repeat."""
    verdict = penalized(taken.verdict, taken.penalty)
    event = AnswerEvent(
        quiz_id=taken.quiz_id,
        player_id=taken.player_id,
        question_id=taken.question.id,
        answer=taken.answer,
        correct=verdict.correct,
        points=verdict.points,
        answered_at=taken.at_ms,
        trace=trace,
    )
    event_id = await intake.answer(partition, event, taken.keep_until_ms, taken.address)
    if event_id is None:
        return None
    return AnswerOut(verdict.correct, verdict.points, event_id,
                     explanation=taken.question.explanation)  # fmt: skip


async def _accept_live(
    intake: Intake, partition: int, taken: _Taken, trace: str
) -> AnswerOut | None:
    """A live quiz's answer: the accepting script times it and adds the streak."""
    correct, question = taken.verdict.correct, taken.question
    head = LiveAnswerHead(taken.quiz_id, taken.player_id, question.id, taken.answer, correct, trace)
    live = LiveAnswer(head, question.position, bucket(question, taken.given, correct),
                      taken.verdict.share, taken.penalty)  # fmt: skip
    decided = await intake.live_answer(partition, live, taken.keep_until_ms, taken.address)
    if decided is None:
        return None
    return AnswerOut(correct, decided.points, decided.event_id, decided.streak)


async def my_standing(call: Call[PlayerClaims]) -> Response:
    """``GET /quizzes/{id}/leaderboard/me[?around=N]``: the caller's rank and score, and
    with ``around`` the entries just above and below."""
    s, quiz_id, player_id = call.services, call.quiz_id, call.who.player_id
    around = query_int(call.request, "around", 0, 0, MAX_AROUND)
    config = await s.catalog.get(quiz_id)
    if await s.room.removed(config, player_id):
        raise Forbidden("the host removed this player from the quiz", code="player_removed")
    standing = await read_standing(s.redis, s.keys, config.partition, quiz_id, player_id, around)
    if standing.total_players == 0 and config.ended(call.now):
        # An ended quiz whose Redis keys expired: PostgreSQL holds its board.
        standing = await stored_standing(s.pool, quiz_id, player_id, around)
    return json_response(standing)
