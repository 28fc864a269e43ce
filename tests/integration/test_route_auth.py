"""The auth each route enforces is the auth ``/openapi.json`` documents.

Every route of the table is called by every kind of caller the document names
(``x-refusals`` of its security scheme): a refused caller must get exactly the
documented status and code, and an admitted one must pass the auth (whatever the
handler then makes of its request).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quizboard.api.auth import CALLERS
from quizboard.api.routes import ROUTES
from tests.support.quizzes import ADMIN, ADMIN_AUTH, quiz_body

AUTH_CODES = {"unauthorized", "invalid_token", "token_expired", "not_admin", "wrong_quiz",
              "jwt_not_accepted", "identity_required", "invalid_jwt"}  # fmt: skip


async def _tokens(api: httpx.AsyncClient) -> tuple[int, dict[str, str | None]]:
    """A quiz to call the routes on, and a token for each kind of caller."""
    ours = (await api.post("/quizzes", json=quiz_body(), headers=ADMIN_AUTH)).json()
    other = (await api.post("/quizzes", json=quiz_body(), headers=ADMIN_AUTH)).json()

    async def player(quiz_id: int) -> str:
        joined = await api.post(f"/quizzes/{quiz_id}/join", json={"display_name": "Ann"})
        token: str = joined.json()["token"]
        return token

    return ours["id"], {
        "no token": None,
        "not a token": "not-a-token",
        "a player of the quiz": await player(ours["id"]),
        "a player of another quiz": await player(other["id"]),
        "the host of another quiz": other["host_token"],
        "the host of the quiz": ours["host_token"],
        "the admin": ADMIN,
    }


def _refusals(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, tuple[int, str]]:
    schemes = spec["components"]["securitySchemes"]
    refused: dict[str, tuple[int, str]] = {}
    for requirement in operation.get("security", []):
        for scheme in requirement:
            for r in schemes[scheme]["x-refusals"]:
                refused[r["caller"]] = (r["status"], r["code"])
    return refused


async def test_every_route_enforces_the_auth_it_documents(api: httpx.AsyncClient) -> None:
    spec = (await api.get("/openapi.json")).json()
    quiz_id, tokens = await _tokens(api)
    assert set(tokens) == set(CALLERS)
    checked = 0
    for endpoint in ROUTES:
        operation = spec["paths"].get(endpoint.path, {}).get(endpoint.method.lower(), {})
        refused = _refusals(spec, operation)
        documented = {int(status) for status in operation.get("responses", {})}
        path = endpoint.path.replace("{quiz_id}", str(quiz_id))
        for caller, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            body = {} if endpoint.body is not None else None
            reply = await api.request(endpoint.method, path, json=body, headers=headers)
            what = f"{endpoint.method} {endpoint.path} by {caller}"
            code = _code(reply)
            if caller in refused:
                assert (reply.status_code, code) == refused[caller], what
            else:
                assert reply.status_code != 401, what
                assert code not in AUTH_CODES, what
            if documented:
                assert reply.status_code in documented, f"{what}: {reply.status_code}"
            checked += 1
    assert checked == len(ROUTES) * len(CALLERS)


def _code(reply: httpx.Response) -> str | None:
    if not reply.headers.get("content-type", "").startswith("application/json"):
        return None
    body = reply.json()
    return body.get("error", {}).get("code") if isinstance(body, dict) else None


@pytest.mark.parametrize("endpoint", ROUTES, ids=lambda e: f"{e.method} {e.path}")
def test_every_route_that_changes_something_needs_a_token(endpoint: Any) -> None:
    """A policy, apart from the table: only joining is open to anyone among the routes
    that change state, and the results are the host's."""
    if endpoint.method != "GET" and not endpoint.path.endswith("/join"):
        assert endpoint.auth.scheme in {"admin", "author", "host", "player"}
    if endpoint.path.endswith(("/results", "/leaderboard/me")) or endpoint.path == "/quizzes":
        assert endpoint.auth.scheme is not None
