"""Every route of the API, in one table: Starlette's router, the hot path and the OpenAPI
document are all built from :data:`ROUTES`.

Adding a route is one :class:`~quizboard.api.endpoint.Endpoint` here: its method,
path, who may call it (an :class:`~quizboard.api.auth.Auth`: ``ANYONE``,
``AUTHOR``, ``HOST``, ``PLAYER`` or ``APP_USER``), its handler and what the
document says of it. The dispatch enforces the auth and hands the handler the
verified caller; the auth's refusals (401, 403) are documented with the route's
own errors. ``hot`` routes (join and answer) are served by
:mod:`quizboard.api.hot_path` ahead of Starlette's stack; the rest go through
Starlette's router.
"""

from __future__ import annotations

from typing import Any

from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from quizboard.api import (
    health,
    instrument,
    live,
    media,
    openapi,
    players,
    quizzes,
    results,
    room,
    sheets,
    web,
)
from quizboard.api.auth import ANYONE, APP_USER, AUTHOR, HOST, PLAYER
from quizboard.api.endpoint import Endpoint
from quizboard.api.safety import Guarded
from quizboard.core.leaderboard import Snapshot, Standing
from quizboard.core.live import LiveState
from quizboard.core.media import Uploaded
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
from quizboard.core.room import Rename, RoomState
from quizboard.core.teams import TeamBoard

PAGE = ("limit", "offset")

# No annotation on purpose: each Endpoint's caller type is then inferred from its auth
# and its handler together, so mypy refuses a handler written for another auth.
ROUTES = (
    Endpoint("POST", "/quizzes", AUTHOR, quizzes.create_quiz, "Create a quiz", 201,
             CreatedQuiz, QuizIn, (400, 413, 422)),
    Endpoint("POST", "/quizzes/import", AUTHOR, sheets.import_quiz, "Create a quiz from a "
             "spreadsheet (XLSX or CSV: Kahoot's template, or our layout of every kind); "
             "every bad cell is named by row and column, and nothing is created", 201,
             CreatedQuiz, errors=(413, 422), query=("title", "mode", "available_at",
                                                    "ends_at", "wrong_answer_penalty"),
             upload=True),
    Endpoint("GET", "/quizzes/{quiz_id}/export", HOST, sheets.export_quiz,
             "The quiz itself, to create again: JSON (the body of POST /quizzes), XLSX or "
             "CSV (our layout)", 200, dict[str, Any], errors=(404, 422), query=("format",)),
    Endpoint("GET", "/quizzes", AUTHOR, quizzes.list_quizzes, "List quizzes, newest first, "
             "a page at a time", 200, QuizPage, errors=(422,),
             query=("status", "limit", "cursor")),
    Endpoint("PATCH", "/quizzes/{quiz_id}", HOST, quizzes.update_quiz,
             "Change a quiz before it opens", 200, QuizConfig, QuizPatch,
             (400, 404, 409, 413, 422)),
    Endpoint("DELETE", "/quizzes/{quiz_id}", HOST, quizzes.delete_quiz,
             "Remove a quiz before it opens", 204, errors=(404, 409)),
    Endpoint("GET", "/quizzes/{quiz_id}", ANYONE, quizzes.get_quiz,
             "Read a quiz without its answers", 200, PublicQuiz, errors=(404,)),
    Endpoint("POST", "/quizzes/{quiz_id}/join", APP_USER, players.join, "Join a quiz", 202,
             JoinOut, JoinIn, (400, 403, 404, 409, 410, 413, 422, 429, 503), hot=True),
    Endpoint("POST", "/quizzes/{quiz_id}/answers", PLAYER, players.answer,
             "Answer a question once", 202, AnswerOut, AnswerIn,
             (400, 403, 404, 409, 410, 413, 422, 429, 503), hot=True),
    Endpoint("GET", "/quizzes/{quiz_id}/leaderboard", ANYONE, quizzes.get_leaderboard,
             "A page of the leaderboard", 200, Snapshot, errors=(404, 422), query=PAGE),
    Endpoint("GET", "/quizzes/{quiz_id}/teams", ANYONE, quizzes.get_team_board,
             "A team quiz's teams, ranked by their members' mean score or their total", 200,
             TeamBoard, errors=(404,)),
    Endpoint("GET", "/quizzes/{quiz_id}/leaderboard/me", PLAYER, players.my_standing,
             "The caller's rank and score, and with around its neighbours", 200, Standing,
             errors=(403, 404, 422), query=("around",)),
    Endpoint("POST", "/quizzes/{quiz_id}/next", HOST, live.next_question,
             "Live quiz: close the open question, if any, and open the next", 200, LiveState,
             errors=(404, 409)),
    Endpoint("POST", "/quizzes/{quiz_id}/reveal", HOST, live.reveal,
             "Live quiz: close the open question now and publish its results", 200,
             LiveState, errors=(404, 409)),
    Endpoint("POST", "/quizzes/{quiz_id}/finish", HOST, live.finish,
             "Live quiz: end it; the final board follows", 200, LiveState,
             errors=(404, 409)),
    Endpoint("GET", "/quizzes/{quiz_id}/state", ANYONE, live.state,
             "Where a quiz is: phase, open question, times (ms on the server's clock)", 200,
             LiveState, errors=(404,)),
    Endpoint("GET", "/quizzes/{quiz_id}/results", HOST, results.results,
             "Results from PostgreSQL: per player, and per question (JSON); CSV with "
             "?format=csv or Accept: text/csv", 200, QuizResults,
             errors=(404, 422, 503), query=("format",)),
    Endpoint("POST", "/media", AUTHOR, media.upload, "Upload a picture or a sound (the body "
             "is the file: PNG, JPEG, WebP, GIF, MP3, OGG, WAV or M4A, judged by its "
             "bytes); 201 with its id, 200 when uploaded before", 201, Uploaded,
             errors=(413, 422), upload=True),
    Endpoint("POST", "/quizzes/{quiz_id}/media", HOST, media.upload,
             "Upload a picture or a sound, as a quiz's host", 201, Uploaded,
             errors=(404, 413, 422), upload=True),
    Endpoint("GET", "/media/{media_id}", ANYONE, media.serve,
             "A file by its id, cached as immutable; 304 for If-None-Match", 200,
             errors=(404,)),
    Endpoint("GET", "/quizzes/{quiz_id}/players", HOST, room.players,
             "The room as its host sees it: the lobby's lock, and every player with its "
             "score (the removed ones last)", 200, RoomState, errors=(404, 422),
             query=("limit",)),
    Endpoint("POST", "/quizzes/{quiz_id}/players/{player_id}/kick", HOST, room.kick,
             "Remove a player: off the board, its token refused (403 player_removed), its "
             "sockets closed; an app's user may join again", 200, RoomState, errors=(404,)),
    Endpoint("POST", "/quizzes/{quiz_id}/players/{player_id}/ban", HOST, room.ban,
             "Remove a player for good: as a kick, and an app's user may not join again",
             200, RoomState, errors=(404,)),
    Endpoint("POST", "/quizzes/{quiz_id}/players/{player_id}/name", HOST, room.rename,
             "Rename a player (a name fit for the room, not another player's)", 200,
             RoomState, Rename, (400, 404, 409, 413, 422)),
    Endpoint("POST", "/quizzes/{quiz_id}/lock", HOST, room.lock,
             "Lock the lobby: joins get 409 lobby_locked", 200, RoomState, errors=(404,)),
    Endpoint("POST", "/quizzes/{quiz_id}/unlock", HOST, room.unlock,
             "Open the lobby again", 200, RoomState, errors=(404,)),
    Endpoint("GET", "/healthz", ANYONE, health.healthz, "Liveness", 200, dict[str, str]),
    Endpoint("GET", "/readyz", ANYONE, health.readyz,
             "Readiness: Redis, PostgreSQL and migrations", 200, dict[str, str],
             errors=(503,)),
    Endpoint("GET", "/openapi.json", ANYONE, openapi.openapi_json, "This document"),
    Endpoint("GET", "/", ANYONE, web.index, "The web client: join a quiz"),
    Endpoint("GET", "/play/{quiz_id}", ANYONE, web.play, "The web client: play a quiz"),
    Endpoint("GET", "/board/{quiz_id}", ANYONE, web.board, "The web client: a big-screen board"),
    Endpoint("GET", "/host", ANYONE, web.host, "The web client: the host console"),
    Endpoint("GET", "/host/{quiz_id}", ANYONE, web.host, "The web client: host a quiz"),
    Endpoint("GET", "/sw.js", ANYONE, web.service_worker, "The player app's service worker"),
    Endpoint("GET", "/client-config.json", ANYONE, web.client_config,
             "Where the pages find the gateway"),
    Endpoint("GET", "/metrics", ANYONE, instrument.metrics_text, "Prometheus metrics"),
)  # fmt: skip


def starlette_routes(endpoints: tuple[Endpoint[Any], ...] = ROUTES) -> list[BaseRoute]:
    """The table as Starlette routes, hot ones included (for their 405s and HEADs), and
    the web client's scripts and styles under ``/web/``. Each route's function is its
    endpoint's :meth:`~quizboard.api.endpoint.Endpoint.serve`: the one dispatch."""
    routes: list[BaseRoute] = [Route(e.path, e.serve, methods=[e.method]) for e in endpoints]
    static = GZipMiddleware(Guarded(StaticFiles(packages=[("quizboard", "web")])), 500)
    routes.append(Mount("/web", static, name="web"))
    return routes
