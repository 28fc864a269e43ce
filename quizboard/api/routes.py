"""Every route of the API, in one table: Starlette's router, the hot path and the OpenAPI
document are all built from :data:`ROUTES`.

Adding a route is one :class:`Endpoint` here. ``hot`` routes (join and answer) are
served by :mod:`quizboard.api.hot_path` ahead of Starlette's stack; the rest go
through Starlette's router.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from quizboard.api import health, instrument, live, openapi, players, quizzes, results, web
from quizboard.core.leaderboard import Snapshot, Standing
from quizboard.core.live import LiveState
from quizboard.core.models import (
    AnswerIn,
    AnswerOut,
    CreatedQuiz,
    JoinIn,
    JoinOut,
    PublicQuiz,
    QuizConfig,
    QuizIn,
    QuizPage,
    QuizPatch,
)
from quizboard.core.results import QuizResults

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One method on one path: its handler, and what the OpenAPI document says of it."""

    method: str
    path: str
    handler: Handler
    summary: str
    status: int = 200
    response: Any = None  # the success body's type; None: not in the OpenAPI document
    body: type | None = None
    auth: str | None = None  # "admin", "host", "player" or None
    errors: tuple[int, ...] = ()
    query: tuple[str, ...] = ()
    hot: bool = False


PAGE = ("limit", "offset")

ROUTES: tuple[Endpoint, ...] = (
    Endpoint("POST", "/quizzes", quizzes.create_quiz, "Create a quiz", 201, CreatedQuiz,
             QuizIn, "admin", (400, 401, 403, 413, 422)),
    Endpoint("GET", "/quizzes", quizzes.list_quizzes, "List quizzes, newest first, a page "
             "at a time", 200, QuizPage, auth="admin", errors=(401, 403, 422),
             query=("status", "limit", "cursor")),
    Endpoint("PATCH", "/quizzes/{quiz_id}", quizzes.update_quiz,
             "Change a quiz before it opens", 200, QuizConfig, QuizPatch, "admin",
             (400, 401, 403, 404, 409, 413, 422)),
    Endpoint("DELETE", "/quizzes/{quiz_id}", quizzes.delete_quiz,
             "Remove a quiz before it opens", 204, auth="admin", errors=(401, 403, 404, 409)),
    Endpoint("GET", "/quizzes/{quiz_id}", quizzes.get_quiz, "Read a quiz without its answers",
             200, PublicQuiz, errors=(404,)),
    Endpoint("POST", "/quizzes/{quiz_id}/join", players.join, "Join a quiz", 202, JoinOut,
             JoinIn, errors=(400, 403, 404, 410, 413, 422, 429, 503), hot=True),
    Endpoint("POST", "/quizzes/{quiz_id}/answers", players.answer, "Answer a question once",
             202, AnswerOut, AnswerIn, "player",
             (400, 401, 403, 404, 409, 410, 413, 422, 429, 503), hot=True),
    Endpoint("GET", "/quizzes/{quiz_id}/leaderboard", quizzes.get_leaderboard,
             "A page of the leaderboard", 200, Snapshot, errors=(404, 422), query=PAGE),
    Endpoint("GET", "/quizzes/{quiz_id}/leaderboard/me", players.my_standing,
             "The caller's rank and score, and with around its neighbours", 200, Standing,
             auth="player", errors=(401, 403, 404, 422), query=("around",)),
    Endpoint("POST", "/quizzes/{quiz_id}/next", live.next_question,
             "Live quiz: close the open question, if any, and open the next", 200, LiveState,
             auth="host", errors=(401, 403, 404, 409)),
    Endpoint("POST", "/quizzes/{quiz_id}/reveal", live.reveal,
             "Live quiz: close the open question now and publish its results", 200,
             LiveState, auth="host", errors=(401, 403, 404, 409)),
    Endpoint("POST", "/quizzes/{quiz_id}/finish", live.finish,
             "Live quiz: end it; the final board follows", 200, LiveState, auth="host",
             errors=(401, 403, 404, 409)),
    Endpoint("GET", "/quizzes/{quiz_id}/state", live.state,
             "Where a quiz is: phase, open question, times (ms on the server's clock)", 200,
             LiveState, errors=(404,)),
    Endpoint("GET", "/quizzes/{quiz_id}/results", results.results,
             "Results from PostgreSQL: per player, and per question (JSON); CSV with "
             "?format=csv or Accept: text/csv", 200, QuizResults, auth="host",
             errors=(401, 403, 404, 422, 503), query=("format",)),
    Endpoint("GET", "/healthz", health.healthz, "Liveness", 200, dict[str, str]),
    Endpoint("GET", "/readyz", health.readyz, "Readiness: Redis, PostgreSQL and migrations",
             200, dict[str, str], errors=(503,)),
    Endpoint("GET", "/openapi.json", openapi.openapi_json, "This document"),
    Endpoint("GET", "/", web.index, "The web client: join a quiz"),
    Endpoint("GET", "/play/{quiz_id}", web.play, "The web client: play a quiz"),
    Endpoint("GET", "/board/{quiz_id}", web.board, "The web client: a big-screen board"),
    Endpoint("GET", "/host", web.host, "The web client: the host console"),
    Endpoint("GET", "/host/{quiz_id}", web.host, "The web client: host a quiz"),
    Endpoint("GET", "/client-config.json", web.client_config, "Where the pages find the gateway"),
    Endpoint("GET", "/metrics", instrument.metrics_text, "Prometheus metrics"),
)  # fmt: skip


def starlette_routes(endpoints: tuple[Endpoint, ...] = ROUTES) -> list[BaseRoute]:
    """The table as Starlette routes, hot ones included (for their 405s and HEADs), and
    the web client's scripts and styles under ``/web/``."""
    routes: list[BaseRoute] = [Route(e.path, e.handler, methods=[e.method]) for e in endpoints]
    routes.append(Mount("/web", StaticFiles(packages=[("quizboard", "web")]), name="web"))
    return routes
