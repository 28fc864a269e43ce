"""The OpenAPI 3.1 document, with schemas generated from the msgspec types."""

from __future__ import annotations

from typing import Any, NamedTuple

import msgspec

from quizboard.core.http import ErrorBody
from quizboard.core.leaderboard import Snapshot, Standing
from quizboard.core.models import (
    AnswerIn,
    AnswerOut,
    JoinIn,
    JoinOut,
    PublicQuiz,
    QuizConfig,
    QuizIn,
    QuizSummary,
)

REF = "#/components/schemas/{name}"


class Operation(NamedTuple):
    method: str
    path: str
    summary: str
    auth: str | None  # "admin", "player" or None
    body: type | None
    status: int
    response: Any
    errors: tuple[int, ...]


OPERATIONS = (
    Operation("post", "/quizzes", "Create a quiz", "admin", QuizIn, 201, QuizConfig,
              (400, 401, 403, 413, 422)),
    Operation("get", "/quizzes", "List quizzes", "admin", None, 200, list[QuizSummary],
              (401, 403, 422)),
    Operation("get", "/quizzes/{quiz_id}", "Read a quiz without its answers", None, None, 200,
              PublicQuiz, (404,)),
    Operation("post", "/quizzes/{quiz_id}/join", "Join a quiz", None, JoinIn, 202, JoinOut,
              (400, 403, 404, 410, 413, 422, 429, 503)),
    Operation("post", "/quizzes/{quiz_id}/answers", "Answer a question once", "player",
              AnswerIn, 202, AnswerOut, (400, 401, 403, 404, 409, 410, 413, 422, 429, 503)),
    Operation("get", "/quizzes/{quiz_id}/leaderboard", "A page of the leaderboard", None, None,
              200, Snapshot, (404, 422)),
    Operation("get", "/quizzes/{quiz_id}/leaderboard/me", "The caller's rank and score",
              "player", None, 200, Standing, (401, 403, 404)),
    Operation("get", "/healthz", "Liveness", None, None, 200, dict[str, str], ()),
    Operation("get", "/readyz", "Readiness: Redis, PostgreSQL and migrations", None, None, 200,
              dict[str, str], (503,)),
)  # fmt: skip

QUERY = {
    "/quizzes": ("limit", "offset"),
    "/quizzes/{quiz_id}/leaderboard": ("limit", "offset"),
}


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{quiz_id}" in op.path:
        params.append({
            "name": "quiz_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
        })  # fmt: skip
    for name in QUERY.get(op.path, ()) if op.method == "get" else ():
        low = 1 if name == "limit" else 0
        params.append({"name": name, "in": "query", "schema": {"type": "integer", "minimum": low}})
    return params


def build_openapi() -> dict[str, Any]:
    """The whole document, built once per process."""
    types: list[Any] = [ErrorBody]
    for op in OPERATIONS:
        types.append(op.response)
        if op.body is not None:
            types.append(op.body)
    schemas, components = msgspec.json.schema_components(types, ref_template=REF)
    schema_of = dict(zip(map(id, types), schemas, strict=True))
    error_schema = schema_of[id(ErrorBody)]
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        operation: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method}_{op.path.strip('/').replace('/', '_') or 'root'}",
            "parameters": _parameters(op),
            "responses": {
                str(op.status): {
                    "description": "success",
                    "content": {"application/json": {"schema": schema_of[id(op.response)]}},
                },
                **{
                    str(code): {
                        "description": "error",
                        "content": {"application/json": {"schema": error_schema}},
                    }
                    for code in op.errors
                },
            },
        }
        if op.auth is not None:
            operation["security"] = [{op.auth: []}]
        if op.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of[id(op.body)]}},
            }
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "quizboard", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "admin": {"type": "http", "scheme": "bearer", "description": "the admin token"},
                "player": {"type": "http", "scheme": "bearer", "description": "a player token"},
            },
        },
    }
