"""Text from players and authors shows as text on every page, in a real Chromium: a
name, a team, a title, a prompt and an explanation made of HTML and script run
nothing and add no element, and a long name with few spaces wraps at 360 px rather
than push the score off the screen."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests.support.browser import Console, WebStack
from tests.support.pages import WAIT_MS, create, open_page
from tests.support.quizzes import ADMIN_AUTH, quiz_body

NAME = '<img src=x onerror="window.__pwned=1"> Zed'
LONG = "Bartholomew-Maximilian-Fitzgerald-Wolfeschlegelsteinhausen"
TITLE = "<script>window.__pwned=2</script> Animals & <b>friends</b>"
PROMPT = '<img src=x onerror="window.__pwned=3">Which one is a cat?'
TEAMS = ["<i>Red</i>", '<svg onload="window.__pwned=4">']


async def nothing_ran(page: Page) -> None:
    assert await page.evaluate("window.__pwned") is None
    assert (
        await page.locator("main img, main script, main b, main i, main svg:not(.qr)").count() == 0
    )


async def fits(page: Page, rows: str) -> None:
    """Each row's score is on the screen (a 360 px phone)."""
    scores = page.locator(rows).locator(".score")
    assert await scores.count()
    for score in await scores.all():
        box = await score.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 360, box


async def test_hostile_text_is_shown_as_text_and_long_names_wrap(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    body = {**quiz_body(), "title": TITLE, "teams": TEAMS}
    body["questions"] = [{**body["questions"][0], "prompt": PROMPT,
                          "explanation": "<a href=javascript:alert(1)>more</a>"}]  # fmt: skip
    quiz = await create(web, body)
    async with httpx.AsyncClient(base_url=web.base) as api:
        bidi = {**body, "teams": ["Red", "\u202eBlue"]}
        refused = await api.post("/quizzes", json=bidi, headers=ADMIN_AUTH)
        assert refused.status_code == 422  # a team name that turns text around
        tricked = await api.post(f"/quizzes/{quiz['id']}/join",
                                 json={"display_name": "\u202eZed"})  # fmt: skip
        assert tricked.status_code == 422
        for name in (NAME, LONG):
            joined = await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": name})
            assert joined.status_code == 202, joined.text
    player = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await expect(player.locator("h1")).to_have_text(TITLE, timeout=WAIT_MS)
    await player.get_by_label("Your name").fill(LONG + "-Junior")
    await player.get_by_label("Your team").select_option(label=TEAMS[1])
    await player.get_by_role("button", name="Join").click()
    await expect(player.locator("#prompt")).to_have_text(PROMPT, timeout=WAIT_MS)
    question = quiz["questions"][0]
    await player.get_by_role("button", name=question["choices"][question["answer"]]).click()
    await expect(player.locator("#explanation")).to_have_text(
        "<a href=javascript:alert(1)>more</a>", timeout=WAIT_MS
    )
    await expect(player.locator("#board li").filter(has_text=NAME)).to_have_count(
        1, timeout=WAIT_MS
    )
    await expect(player.locator("#team-place")).to_contain_text(TEAMS[1], timeout=WAIT_MS)
    await nothing_ran(player)
    await fits(player, f"#board li:has-text('{LONG}')")

    board = await open_page(
        browser, console, f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}"
    )
    await expect(board.locator("#team-board li").filter(has_text=TEAMS[0])).to_have_count(
        1, timeout=WAIT_MS
    )
    await expect(board.locator("#board li").filter(has_text=NAME)).to_have_count(1)
    await nothing_ran(board)
    await fits(board, f"#board li:has-text('{LONG}')")
    host = await open_page(browser, console, f"{web.base}/host/{quiz['id']}")
    await host.get_by_label("Host or admin token").fill(quiz["host_token"])
    await host.get_by_role("button", name="Use token").click()
    await expect(host.locator("#players-list li").filter(has_text=NAME)).to_have_count(
        1, timeout=WAIT_MS
    )
    await nothing_ran(host)
    for page in (player, board, host):
        await page.close()
    assert console.errors == []
