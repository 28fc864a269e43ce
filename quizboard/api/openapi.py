"""The OpenAPI 3.1 document, built from the route table with schemas from the msgspec types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from starlette.responses import Response

from quizboard.api.auth import SCHEMES, Auth
from quizboard.api.endpoint import Call, Endpoint
from quizboard.core.http import ErrorBody
from quizboard.core.models import MAX_ID, STATUSES
from quizboard.core.quiz_sheets import EXPORT_FORMATS
from quizboard.core.results import FORMATS

REF = "#/components/schemas/{name}"


def _parameters(endpoint: Endpoint[Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if "{quiz_id}" in endpoint.path:
        params.append({
            "name": "quiz_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        })  # fmt: skip
    if "{player_id}" in endpoint.path:
        params.append({
            "name": "player_id", "in": "path", "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 128},
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
    "format": {"type": "string", "enum": sorted({*FORMATS, *EXPORT_FORMATS})},
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "mode": {"type": "string", "enum": ["open", "live"]},
    "available_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"},
    "wrong_answer_penalty": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
}


def _success(endpoint: Endpoint[Any], schema_of: dict[int, Any]) -> dict[str, Any]:
    if endpoint.response is None:  # 204: no body
        return {"description": "success, no content"}
    schema = schema_of[id(endpoint.response)]
    return {"description": "success", "content": {"application/json": {"schema": schema}}}


def _error_statuses(endpoint: Endpoint[Any]) -> list[int]:
    """The route's own error statuses and its auth's refusals."""
    return sorted({*endpoint.errors, *(status for _, status, _ in endpoint.auth.refusals)})


def _documented(endpoint: Endpoint[Any]) -> bool:
    return endpoint.response is not None or endpoint.status == 204


def _security_scheme(auth: Auth[Any]) -> dict[str, Any]:
    """A bearer scheme, with what it refuses each kind of caller (``x-refusals``)."""
    return {
        "type": "http",
        "scheme": "bearer",
        "description": auth.description,
        "x-refusals": [
            {"caller": caller, "status": status, "code": code}
            for caller, status, code in auth.refusals
        ],
    }


def build_openapi(routes: Iterable[Endpoint[Any]]) -> dict[str, Any]:
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
                    for code in _error_statuses(endpoint)
                },
            },
        }
        if (scheme := endpoint.auth.scheme) is not None:
            operation["security"] = [{scheme: []}, {}] if endpoint.auth.optional else [{scheme: []}]
        if endpoint.upload:
            binary = {"schema": {"type": "string", "format": "binary"}}
            operation["requestBody"] = {
                "required": True,
                "content": {"application/octet-stream": binary},
            }
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
                auth.scheme: _security_scheme(auth) for auth in SCHEMES if auth.scheme
            },
        },
    }


async def openapi_json(call: Call[None]) -> Response:
    """``GET /openapi.json``: the document, encoded once when the app was built."""
    return call.services.openapi
