"""Liveness and readiness."""

from __future__ import annotations

from starlette.responses import Response

from quizboard.api.endpoint import Call
from quizboard.api.responses import error_response, json_response
from quizboard.store.connections import SERVER_DOWN
from quizboard.store.migrations import pending


async def healthz(call: Call[None]) -> Response:
    """Alive: the process answers."""
    return json_response({"status": "ok"})


async def readyz(call: Call[None]) -> Response:
    """Ready: Redis and PostgreSQL answer, and every migration is applied."""
    s = call.services
    try:
        await s.redis.ping()
        async with s.pool.connection(timeout=2.0) as conn:
            missing = await pending(conn)
    except SERVER_DOWN as exc:
        return error_response(503, "not_ready", f"a backing service is unreachable: {exc}")
    if missing:
        return error_response(503, "not_ready", f"migrations not applied: {', '.join(missing)}")
    return json_response({"status": "ready"})
