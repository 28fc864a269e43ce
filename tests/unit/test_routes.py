"""The route table: the hot path's matching, and what Starlette and OpenAPI derive from it."""

from __future__ import annotations

import pytest
from starlette.routing import Mount, Route

from quizboard.api.hot_path import HotRoutes, pattern
from quizboard.api.openapi import build_openapi
from quizboard.api.routes import ROUTES, starlette_routes

HOT = HotRoutes(ROUTES)


def test_a_template_becomes_a_named_pattern() -> None:
    assert pattern("/quizzes/{quiz_id}/join", "r0") == "(?P<r0>/quizzes/(?P<r0_0>[^/]*)/join)"


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/quizzes/7/join", "/quizzes/{quiz_id}/join", {"quiz_id": "7"}),
        ("/quizzes/12/answers", "/quizzes/{quiz_id}/answers", {"quiz_id": "12"}),
        # The handler, not the matcher, judges the id: it answers 404 quiz_not_found.
        ("/quizzes/abc/answers", "/quizzes/{quiz_id}/answers", {"quiz_id": "abc"}),
        ("/quizzes//join", "/quizzes/{quiz_id}/join", {"quiz_id": ""}),
    ],
)
def test_the_hot_routes_match_with_their_parameters(
    path: str, template: str, params: dict[str, str]
) -> None:
    found = HOT.match("POST", path)
    assert found is not None
    endpoint, matched = found
    assert (endpoint.path, matched) == (template, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/quizzes/7/join"),  # a hot path with another method: Starlette's 405
        ("POST", "/quizzes/7/join/"),
        ("POST", "/quizzes/7/leaderboard"),
        ("POST", "/quizzes/7"),
        ("POST", "/quizzes"),
        ("POST", "/things/7/join"),
        ("POST", "/quizzes/7/join/extra"),
        ("POST", "quizzes/7/join"),
    ],
)
def test_everything_else_goes_to_starlette(method: str, path: str) -> None:
    assert HOT.match(method, path) is None


def test_starlette_routes_are_the_table_and_the_web_client_s_files() -> None:
    built = starlette_routes()
    routes = {(r.path, m) for r in built if isinstance(r, Route)
              for m in (r.methods or ()) if m != "HEAD"}  # fmt: skip
    assert routes == {(e.path, e.method) for e in ROUTES}
    assert [r.path for r in built if isinstance(r, Mount)] == ["/web"]


def test_openapi_documents_each_route_with_a_response_type() -> None:
    paths = build_openapi(ROUTES)["paths"]
    documented = {(path, method.upper()) for path, ops in paths.items() for method in ops}
    assert documented == {
        (e.path, e.method) for e in ROUTES if e.response is not None or e.status == 204
    }
    assert "content" not in paths["/quizzes/{quiz_id}"]["delete"]["responses"]["204"]
    assert paths["/quizzes/{quiz_id}/answers"]["post"]["security"] == [{"player": []}]
