"""The OpenAPI 3.1 document, built from the route table with schemas from the msgspec types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.state import services
from quizboard.core.http import ErrorBody
from quizboard.core.models import MAX_ID, STATUSES
from quizboard.core.results import FORMATS

if TYPE_CHECKING:
    from quizboard.api.routes import Endpoint

REF = "#/components/schemas/{name}"


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{quiz_id}" in endpoint.path:
        params.append({
            "name": "quiz_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        })  # fmt: skip
    for name in endpoint.query:
        schema = QUERY_SCHEMAS.get(name, {"type": "integer", "minimum": 0})
        params.append({"name": name, "in": "query", "schema": schema})
    return params


#: Query parameters that are not counts from 0.
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1},
    "cursor": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "status": {"type": "string", "enum": list(STATUSES)},
    "format": {"type": "string", "enum": list(FORMATS)},
}


def _success(endpoint: Endpoint, schema_of: dict[int, Any]) -> dict[str, Any]:
    if endpoint.response is None:  # 204: no body
        return {"description": "success, no content"}
    schema = schema_of[id(endpoint.response)]
    return {"description": "success", "content": {"application/json": {"schema": schema}}}


def _documented(endpoint: Endpoint) -> bool:
    return endpoint.response is not None or endpoint.status == 204


def build_openapi(routes: Iterable[Endpoint]) -> dict[str, Any]:
    """The whole document for the documented ``routes``, built once per process."""
    documented = [e for e in routes if _documented(e)]
    types: list[Any] = [ErrorBody]
    for endpoint in documented:
        if endpoint.response is not None:
            types.append(endpoint.response)
        if endpoint.body is not None:
            types.append(endpoint.body)
    schemas, components = msgspec.json.schema_components(types, ref_template=REF)
    schema_of = dict(zip(map(id, types), schemas, strict=True))
    error_schema = schema_of[id(ErrorBody)]
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in documented:
        method = endpoint.method.lower()
        operation: dict[str, Any] = {
            "summary": endpoint.summary,
            "operationId": f"{method}_{endpoint.path.strip('/').replace('/', '_') or 'root'}",
            "parameters": _parameters(endpoint),
            "responses": {
                str(endpoint.status): _success(endpoint, schema_of),
                **{
                    str(code): {
                        "description": "error",
                        "content": {"application/json": {"schema": error_schema}},
                    }
                    for code in endpoint.errors
                },
            },
        }
        if endpoint.auth is not None:
            operation["security"] = [{endpoint.auth: []}]
        if endpoint.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": schema_of[id(endpoint.body)]}},
            }
        paths.setdefault(endpoint.path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "quizboard", "version": "0.1.0"},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "admin": {"type": "http", "scheme": "bearer", "description": "the admin token"},
                "player": {"type": "http", "scheme": "bearer", "description": "a player token"},
                "host": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the quiz's host token (from its creation) or the admin token",
                },
            },
        },
    }


async def openapi_json(request: Request) -> Response:
    """``GET /openapi.json``: the document, encoded once when the app was built."""
    return services(request).openapi
