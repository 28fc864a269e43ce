"""Reading a request's input: bounded bodies, typed decoding, path ids, query integers and
the client's address. Tokens are read by :mod:`quizboard.api.auth`."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.requests import ClientDisconnect, Request

from quizboard.core.addresses import Network
from quizboard.core.addresses import client_address as client_address_behind
from quizboard.core.errors import (
    BodyTooLarge,
    ClientGone,
    InvalidInput,
    MalformedJson,
    NotFound,
)
from quizboard.core.models import MAX_ID

T = TypeVar("T")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with :class:`BodyTooLarge` as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge(limit)
    except ClientDisconnect:
        raise ClientGone("the client closed the connection before sending its body") from None
    return bytes(body)


async def decode_body(request: Request, decoder: msgspec.json.Decoder[T], limit: int) -> T:
    """The body decoded and validated as ``decoder``'s type."""
    body = await read_body(request, limit)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidInput(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise MalformedJson(f"body is not valid JSON: {exc}") from None
    except UnicodeDecodeError as exc:  # msgspec checks UTF-8 only as it decodes a string
        raise MalformedJson(
            f"body is not valid UTF-8 JSON: {exc.reason} at byte {exc.start}"
        ) from None


def path_id(request: Request, name: str, what: str = "quiz") -> int:
    """A positive 64-bit id from the path; anything else names no quiz."""
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        raise NotFound(f"{what} {raw!r} does not exist", code=f"{what}_not_found")
    return int(raw)


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 19 or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be an integer from {low} to {high}", code="invalid_query")
    return int(raw)


def client_address(request: Request, trusted: tuple[Network, ...]) -> str:
    """The client's address, for the per-address rate limit: the peer's, or the one a
    trusted proxy names in ``X-Forwarded-For`` or ``Forwarded``."""
    peer = request.client.host if request.client else "unknown"
    if not trusted:
        return peer
    headers = request.headers
    return client_address_behind(
        peer, trusted, headers.get("x-forwarded-for"), headers.get("forwarded")
    )
