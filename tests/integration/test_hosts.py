"""Hosts are the app's users: a JWT whose claim names a host creates quizzes, and
lists, edits, runs, exports and deletes only its own; the admin sees them all."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.identity import HS256, app_jwt
from tests.support.quizzes import ADMIN_AUTH, live_body, quiz_body

TEACHERS = {**HS256, "jwt_host_claim": "role=teacher"}
pytestmark = pytest.mark.parametrize("settings", [TEACHERS], indirect=True)


def teacher(sub: str, role: Any = "teacher") -> dict[str, str]:
    return {"Authorization": f"Bearer {app_jwt(sub, aud='quizapp', role=role)}"}


async def test_each_teacher_sees_and_runs_only_its_own_quizzes(api: httpx.AsyncClient) -> None:
    ann, bob = teacher("ann"), teacher("bob", role=["staff", "teacher"])
    mine = await api.post("/quizzes", json=live_body(), headers=ann)
    assert mine.status_code == 201, mine.text
    theirs = await api.post("/quizzes", json=quiz_body(opens_in=3600), headers=bob)
    assert theirs.status_code == 201, theirs.text
    mine_id, theirs_id = mine.json()["id"], theirs.json()["id"]
    assert mine.json()["owner"] == "ann"

    listed = (await api.get("/quizzes", headers=ann)).json()["quizzes"]
    assert [q["id"] for q in listed] == [mine_id]
    everything = (await api.get("/quizzes", headers=ADMIN_AUTH)).json()["quizzes"]
    assert {q["id"] for q in everything} == {mine_id, theirs_id}

    for method, path in (("POST", "next"), ("GET", "export"), ("GET", "players"),
                         ("GET", "results")):  # fmt: skip
        assert (await api.request(method, f"/quizzes/{mine_id}/{path}", headers=ann)).is_success
        refused = await api.request(method, f"/quizzes/{theirs_id}/{path}", headers=ann)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_owner")
    edited = await api.patch(f"/quizzes/{theirs_id}", json={"title": "Bob's"}, headers=bob)
    assert edited.status_code == 200
    stolen = await api.delete(f"/quizzes/{theirs_id}", headers=ann)
    assert stolen.status_code == 403
    assert (await api.delete(f"/quizzes/{theirs_id}", headers=bob)).status_code == 204
    host_token = {"Authorization": f"Bearer {mine.json()['host_token']}"}
    assert (await api.post(f"/quizzes/{mine_id}/reveal", headers=host_token)).is_success


@pytest.mark.parametrize("role", ["student", None])
async def test_an_app_user_that_is_no_host_creates_nothing(
    api: httpx.AsyncClient, role: str | None
) -> None:
    refused = await api.post("/quizzes", json=quiz_body(), headers=teacher("kid", role=role))
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_host")
    assert (await api.get("/quizzes", headers=ADMIN_AUTH)).json()["quizzes"] == []
