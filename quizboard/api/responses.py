"""JSON responses encoded with msgspec, and the one error body shape."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.responses import Response

from quizboard.core.http import error_body

ENCODER = msgspec.json.Encoder()


def json_response(
    content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """``content`` (a Struct, list or dict) as a JSON response."""
    return Response(
        ENCODER.encode(content),
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def error_response(
    status_code: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    return json_response(error_body(code, message), status_code, headers)
