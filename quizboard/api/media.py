"""Media routes: upload a picture or a sound (admin, or a quiz's host), serve it to all.

A file is named by the SHA-256 of its bytes, so its ``ETag`` is its id and its copy
in any cache never goes stale: a request that names the ETag it holds gets 304
without a read.
"""

from __future__ import annotations

from typing import TypeVar

from starlette.responses import Response

from quizboard.api.endpoint import Call
from quizboard.api.inputs import read_body
from quizboard.api.responses import json_response
from quizboard.core.errors import NotFound
from quizboard.core.media import checked, is_media_id

IMMUTABLE = "public, max-age=31536000, immutable"
W = TypeVar("W")


async def upload(call: Call[W]) -> Response:
    """``POST /media`` (or ``/quizzes/{id}/media`` for its host): the body is the file.
    201 with its id; 200 when it was uploaded before."""
    s = call.services
    data = await read_body(call.request, s.settings.max_media_bytes)
    uploaded = checked(data)
    created = await s.media.put(uploaded, data)
    return json_response(uploaded, 201 if created else 200, {"Location": f"/media/{uploaded.id}"})


async def serve(call: Call[None]) -> Response:
    """``GET /media/{id}``: the file, with its type and a year-long immutable cache."""
    media_id = call.request.path_params["media_id"]
    if not is_media_id(media_id):
        raise NotFound(
            f"no media {media_id[:80]!r}: an id is 64 hex digits", code="media_not_found"
        )
    headers = {"ETag": f'"{media_id}"', "Cache-Control": IMMUTABLE}
    held = call.request.headers.get("if-none-match", "")
    if held == "*" or f'"{media_id}"' in held:
        return Response(status_code=304, headers=headers)
    found = await call.services.media.get(media_id)
    if found is None:
        raise NotFound(f"no media {media_id}", code="media_not_found")
    content_type, data = found
    return Response(data, media_type=content_type, headers=headers)
