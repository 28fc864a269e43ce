"""Quiz management: edits and removals before a quiz opens, and the admin list's pages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from quizboard.settings import Settings
from tests.support.processes import api_process
from tests.support.quizzes import ADMIN_AUTH, quiz_body
from tests.support.steps import create_quiz, eventually


async def patch(api: httpx.AsyncClient, quiz: dict[str, Any], body: Any) -> httpx.Response:
    return await api.patch(f"/quizzes/{quiz['id']}", json=body, headers=ADMIN_AUTH)


async def test_a_quiz_changes_before_it_opens_and_not_after(api: httpx.AsyncClient) -> None:
    upcoming = await create_quiz(api, opens_in=60)
    new_questions = quiz_body()["questions"][:2]
    response = await patch(api, upcoming, {"title": "Renamed", "questions": new_questions})
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["title"] == "Renamed"
    assert [q["prompt"] for q in changed["questions"]] == [q["prompt"] for q in new_questions]
    assert {q["id"] for q in changed["questions"]}.isdisjoint(
        q["id"] for q in upcoming["questions"]
    )
    public = (await api.get(f"/quizzes/{upcoming['id']}")).json()
    assert (public["title"], len(public["questions"])) == ("Renamed", 2)

    bad = await patch(api, upcoming, {"ends_at": "2000-01-01T00:00:00Z"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_body")
    unknown = await patch(api, upcoming, {"colour": "red"})
    assert unknown.status_code == 422

    opened = await create_quiz(api)
    refused = await patch(api, opened, {"title": "Too late"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "quiz_started")
    assert (await api.get(f"/quizzes/{opened['id']}")).json()["title"] == opened["title"]
    missing = await api.patch("/quizzes/999999", json={"title": "x"}, headers=ADMIN_AUTH)
    assert missing.status_code == 404


async def test_a_quiz_is_removed_before_it_opens_and_not_after(api: httpx.AsyncClient) -> None:
    upcoming = await create_quiz(api, opens_in=60)
    gone = await api.delete(f"/quizzes/{upcoming['id']}", headers=ADMIN_AUTH)
    assert gone.status_code == 204
    assert (await api.get(f"/quizzes/{upcoming['id']}")).status_code == 404
    opened = await create_quiz(api)
    refused = await api.delete(f"/quizzes/{opened['id']}", headers=ADMIN_AUTH)
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "quiz_started")
    assert (await api.get(f"/quizzes/{opened['id']}")).status_code == 200
    assert (await api.delete(f"/quizzes/{opened['id']}")).status_code == 401


async def test_another_api_process_sees_an_edit_within_a_second(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    quiz = await create_quiz(api, opens_in=60)
    async with api_process(settings) as base, httpx.AsyncClient(base_url=base) as other:
        assert (await other.get(f"/quizzes/{quiz['id']}")).json()["title"] == quiz["title"]
        assert (await patch(api, quiz, {"title": "Seen everywhere"})).status_code == 200

        async def seen() -> bool:
            title = (await other.get(f"/quizzes/{quiz['id']}")).json()["title"]
            return bool(title == "Seen everywhere")

        assert await eventually(seen, within=3) < 1.5
        await api.delete(f"/quizzes/{quiz['id']}", headers=ADMIN_AUTH)

        async def gone() -> bool:
            return (await other.get(f"/quizzes/{quiz['id']}")).status_code == 404

        await eventually(gone, within=3)


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_the_list_pages_by_cursor_and_filters_by_status(
    api: httpx.AsyncClient, limit: int
) -> None:
    made = {
        "upcoming": [await create_quiz(api, opens_in=60) for _ in range(2)],
        "open": [await create_quiz(api) for _ in range(2)],
        "ended": [await create_quiz(api, opens_in=-120, lasts=60)],
    }
    for status, quizzes in made.items():
        listed = await api.get("/quizzes", params={"status": status}, headers=ADMIN_AUTH)
        assert [q["id"] for q in listed.json()["quizzes"]] == sorted(
            (q["id"] for q in quizzes), reverse=True
        )
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/quizzes", params=params, headers=ADMIN_AUTH)).json()
        assert len(page["quizzes"]) <= limit
        seen += [q["id"] for q in page["quizzes"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = sorted((q["id"] for quizzes in made.values() for q in quizzes), reverse=True)
    assert seen == everything
    refused = await api.get("/quizzes", params={"status": "soon"}, headers=ADMIN_AUTH)
    assert refused.status_code == 422
