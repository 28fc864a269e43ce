"""A team quiz as a new teacher meets it, in a real Chromium: signed in with the app's
JWT, the quiz written in the editor with two teams, six players picking (or given) a
team, the lobby locked, a player kicked, the team board on the big screen and each
player's team place on its phone; and a second teacher who sees none of it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.browser import DESKTOP, Console, WebStack, screenshot
from tests.support.identity import SECRET, app_jwt
from tests.support.pages import WAIT_MS, open_page, shown

TEACHER = {"jwt_secret": SECRET, "jwt_host_claim": "role=teacher"}


async def write_team_quiz(page: Page) -> None:
    """In the console's editor: a live quiz of two questions, with teams Red and Blue."""
    await page.get_by_label("Title", exact=True).fill("Animals, in teams")
    await page.get_by_label("Teams (one name a line", exact=False).fill("Red\nBlue")
    await page.get_by_label("Rank the teams by").select_option("mean")
    for index, (prompt, right, wrong) in enumerate(
        (("Which one is a cat?", "cat", "dog"), ("Which one is a cow?", "cow", "hen"))
    ):
        if index:
            await page.get_by_role("button", name="Add question").click()
        block = page.locator("#editor fieldset.question").nth(index)
        await block.get_by_label("Question", exact=True).fill(prompt)
        rows = block.locator(".choice-list li")
        for i, text in enumerate((right, wrong)):
            if i >= await rows.count():
                await block.get_by_role("button", name="Add choice").click()
            await rows.nth(i).locator("input[type=text]").fill(text)
        await rows.nth(0).locator(".right-mark").check()
    await page.get_by_role("button", name="Save quiz").click()


async def team_board(web: WebStack, quiz_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=web.base) as api:
        board: dict[str, Any] = (await api.get(f"/quizzes/{quiz_id}/teams")).json()
        return board


async def answer_all(host: Page, players: dict[str, Page], picks: dict[str, str]) -> None:
    await host.get_by_role("button", name="Next question").click()
    for name, pick in picks.items():
        page = players[name]
        await page.get_by_role("button", name=pick, exact=True).click()
        await expect(page.locator("#message")).to_contain_text("Answer sent", timeout=WAIT_MS)
    for name in picks:  # everyone answered: the question closed by itself
        await expect(players[name].locator("#right-answer")).to_be_visible(timeout=WAIT_MS)


@pytest.mark.parametrize("settings", [TEACHER], indirect=True)
async def test_a_teacher_runs_a_team_quiz_and_another_teacher_sees_none_of_it(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    ann, bob = app_jwt("ann", role="teacher"), app_jwt("bob", role="teacher")
    host = await open_page(browser, console, f"{web.base}/host#jwt={ann}")
    await write_team_quiz(host)
    await expect(host).to_have_url(f"{web.base}/host/1", timeout=WAIT_MS)
    link = host.locator("#board-link")
    await expect(link).to_have_attribute("href", re.compile(r"^/board/1#token="), timeout=WAIT_MS)
    board_link = await link.get_attribute("href")
    board = console.watch(await browser.new_page(viewport=DESKTOP))
    await board.goto(f"{web.base}{board_link}")

    # Six players: two pick Red, two pick Blue, two let the quiz place them (Red, then
    # Blue: the team with the fewest players, the first of equals).
    players: dict[str, Page] = {}
    for name, team in (("Ann", "Red"), ("Bao", "Blue"), ("Cat", "Red"), ("Dan", "Blue"),
                       ("Eve", None), ("Fay", None)):  # fmt: skip
        page = players[name] = await open_page(browser, console, f"{web.base}/play/1")
        await page.get_by_label("Your name").fill(name)
        if team:
            await page.get_by_label("Your team").select_option(label=team)
        await page.get_by_role("button", name="Join").click()
        await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    listed = host.locator("#players-list li")
    await expect(listed).to_have_count(6, timeout=WAIT_MS)
    await expect(listed.filter(has_text="Eve")).to_contain_text("Red")
    await expect(listed.filter(has_text="Fay")).to_contain_text("Blue")

    await host.get_by_role("button", name="Lock the lobby").click()
    await expect(host.locator("#lock-state")).to_have_text("Locked: no one may join.")
    late = await open_page(browser, console, f"{web.base}/play/1")
    await late.get_by_label("Your name").fill("Gus")
    await late.get_by_role("button", name="Join").click()
    await expect(late.get_by_role("alert")).to_contain_text("locked the lobby", timeout=WAIT_MS)

    # Red answers right; Blue has one right, and Dan wrong.
    await answer_all(host, players, {"Ann": "cat", "Bao": "cat", "Cat": "cat", "Dan": "dog",
                                     "Eve": "cat", "Fay": "dog"})  # fmt: skip
    await host.get_by_role("button", name="Kick Dan").click()
    dan = players.pop("Dan")
    await expect(dan.get_by_role("alert")).to_have_text(
        "The host removed you from this quiz.", timeout=WAIT_MS
    )
    await expect(dan.locator("#game")).to_be_hidden()
    await answer_all(host, players, {"Ann": "cow", "Bao": "cow", "Cat": "hen", "Eve": "cow",
                                     "Fay": "cow"})  # fmt: skip
    await host.get_by_role("button", name="Finish").click()

    # The team board: Blue has Bao and Fay since Dan left, Red its three. The quiz is
    # over, so the route's board is the last one published.
    await expect(board.locator("#question-prompt")).to_have_text(
        "The quiz is over. Final board:", timeout=WAIT_MS
    )
    teams = await team_board(web, 1)
    assert {e["name"]: e["members"] for e in teams["entries"]} == {"Red": 3, "Blue": 2}
    for place, entry in enumerate(teams["entries"]):
        average = shown(entry["score"])
        row = board.locator("#team-board li").nth(place)
        players_in = f"{entry['members']} players"
        await expect(row).to_contain_text(f"{entry['name']}{players_in}{average} avg",
                                          timeout=WAIT_MS)  # fmt: skip
        member = next(n for n, p in (("Ann", "Red"), ("Bao", "Blue")) if p == entry["name"])
        await expect(players[member].locator("#team-place")).to_have_text(
            f"Your team, {entry['name']}, finished number {entry['rank']} of 2, with an average "
            f"of {average} points.",
            timeout=WAIT_MS,
        )
    await expect(board.locator("#board li")).to_have_count(5, timeout=WAIT_MS)
    await board.wait_for_timeout(600)  # the rows' last move ends, for the picture
    await screenshot(board, "team-board")
    await board.set_viewport_size(DESKTOP)
    await screenshot(host, "host-team-players")
    await screenshot(players["Bao"], "play-team")

    # Another teacher sees no quiz of Ann's, and may not run it.
    other = await open_page(browser, console, f"{web.base}/host#jwt={bob}")
    await expect(other.get_by_label("Title", exact=True)).to_be_visible(timeout=WAIT_MS)
    await expect(other.locator("#quizzes")).to_be_hidden()
    async with httpx.AsyncClient(base_url=web.base) as api:
        bobs = {"Authorization": f"Bearer {bob}"}
        listed_for_bob = (await api.get("/quizzes", headers=bobs)).json()
        assert listed_for_bob["quizzes"] == []
        refused = await api.get("/quizzes/1/players", headers=bobs)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_owner")
    for page in (host, board, late, dan, other, *players.values()):
        await page.close()
    # The browser logs the refused join (409) as a failed load; nothing else.
    assert [e for e in console.errors if "status of 409" not in e] == []
