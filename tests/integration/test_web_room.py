"""The room's controls in the host console, in a real Chromium: the players' list, a
kick that ends a player's game at once, and a locked lobby that turns a newcomer away."""

from __future__ import annotations

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.support.browser import Console, WebStack, screenshot
from tests.support.identity import SECRET, app_jwt
from tests.support.pages import WAIT_MS, create, join, open_page
from tests.support.quizzes import quiz_body


async def test_the_host_kicks_a_player_and_locks_the_lobby(web: WebStack, browser: Browser) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    host = await open_page(browser, console, f"{web.base}/host/{quiz['id']}")
    await host.get_by_label("Host or admin token").fill(quiz["host_token"])
    await host.get_by_role("button", name="Use token").click()
    players = {}
    for name in ("Ann", "Mr Poopy", "Cat"):
        players[name] = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
        await join(players[name], name)
    listed = host.locator("#players-list li")
    await expect(listed).to_have_count(3, timeout=WAIT_MS)
    await screenshot(host, "host-players")

    host.once("dialog", lambda dialog: dialog.accept("Player 2"))
    await host.get_by_role("button", name="Rename Mr Poopy").click()
    await expect(listed.filter(has_text="Player 2")).to_have_count(1, timeout=WAIT_MS)
    await expect(players["Ann"].locator("#board")).to_contain_text("Player 2", timeout=WAIT_MS)
    await host.get_by_role("button", name="Kick Player 2").click()
    kicked = players["Mr Poopy"]
    await expect(kicked.get_by_role("alert")).to_have_text(
        "The host removed you from this quiz.", timeout=WAIT_MS
    )
    await expect(kicked.locator("#game")).to_be_hidden()
    await expect(listed.filter(has_text="Player 2")).to_contain_text("kicked")
    await expect(players["Ann"].locator("#board li")).to_have_count(2, timeout=WAIT_MS)

    await host.get_by_role("button", name="Lock the lobby").click()
    await expect(host.locator("#lock-state")).to_have_text("Locked: no one may join.")
    late = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await late.get_by_label("Your name").fill("Late")
    await late.get_by_role("button", name="Join").click()
    await expect(late.get_by_role("alert")).to_contain_text("locked the lobby", timeout=WAIT_MS)
    await host.get_by_role("button", name="Unlock the lobby").click()
    await late.get_by_role("button", name="Join").click()
    await expect(late.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await expect(listed).to_have_count(4, timeout=WAIT_MS)
    for page in (host, late, *players.values()):
        await page.close()
    # The browser logs the refused join (409) as a failed load; nothing else.
    assert [e for e in console.errors if "status of 409" not in e] == []


@pytest.mark.parametrize(
    "settings", [{"jwt_secret": SECRET, "jwt_host_claim": "role=teacher"}], indirect=True
)
async def test_a_teacher_opens_the_console_with_its_jwt_and_sees_only_its_quizzes(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    ann, bob = app_jwt("ann", role="teacher"), app_jwt("bob", role="teacher")
    async with httpx.AsyncClient(base_url=web.base) as api:
        for token, title in ((ann, "Ann's animals"), (bob, "Bob's colours")):
            body = {**quiz_body(), "title": title}
            created = await api.post("/quizzes", json=body,
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert created.status_code == 201, created.text
    page = await open_page(browser, console, f"{web.base}/host#jwt={ann}")
    mine = page.locator("#my-quizzes a")
    await expect(mine).to_have_text(["Ann's animals (open, 10 questions)"], timeout=WAIT_MS)
    await mine.first.click()
    await expect(page.locator("h1")).to_have_text("Ann's animals", timeout=WAIT_MS)
    await expect(page.locator("#room-count")).to_have_text("0 players.", timeout=WAIT_MS)
    await page.close()
    assert console.errors == []
