"""The web client in a real Chromium: play, watch and host, against real processes."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import jwt
import pytest
import redis.asyncio as redis_py
from playwright.async_api import Browser, Page, expect

from tests.support.browser import Console, WebStack, screenshot
from tests.support.pages import WAIT_MS, create, join, leaderboard, open_page, shown
from tests.support.quizzes import live_body, quiz_body
from tests.support.steps import eventually, kill_pubsub_clients


async def answer(page: Page, question: dict[str, Any]) -> None:
    """Answer ``question`` rightly, by clicking its choice or typing a spelling."""
    if question["kind"] == "choice":
        choice = question["choices"][question["answer"]]
        await page.get_by_role("button", name=choice, exact=True).click()
    else:
        await page.get_by_label("Your answer").fill(question["accepted"][0])
        await page.get_by_role("button", name="Submit").click()
    await expect(page.locator("#verdict")).to_contain_text("Right!", timeout=WAIT_MS)


def board_row(page: Page, name: str) -> Any:
    return page.locator("#board li").filter(has_text=name)


async def test_a_player_plays_an_open_quiz_and_the_board_follows(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    board = await open_page(
        browser, console, f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}"
    )
    await expect(board.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Clicker")
    for question in quiz["questions"]:
        await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
        await answer(page, question)
    await expect(page.locator("#prompt")).to_have_text("You have answered every question.")
    total = sum(q["points"] for q in quiz["questions"])
    await expect(page.locator("#rank")).to_contain_text(f"{shown(total)} points", timeout=WAIT_MS)
    # The player's page read its score from the board; the big screen shows it too.
    await expect(board_row(board, "Clicker")).to_contain_text(shown(total), timeout=WAIT_MS)
    for page_ in (page, board):
        await page_.close()
    assert console.errors == []


async def test_a_live_quiz_hosted_in_the_browser_for_ten_players(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, live_body())
    host = await open_page(browser, console, f"{web.base}/host/{quiz['id']}")
    await host.get_by_label("Host or admin token").fill(quiz["host_token"])
    await host.get_by_role("button", name="Use token").click()
    await expect(host.locator("#phase")).to_have_text("lobby", timeout=WAIT_MS)
    board = await open_page(
        browser, console, f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}"
    )
    players = [
        await open_page(browser, console, f"{web.base}/play/{quiz['id']}") for _ in range(10)
    ]
    for number, page in enumerate(players):
        await join(page, f"Player {number}")
    await expect(host.locator("#players")).to_have_text("10 players", timeout=WAIT_MS)

    for question in quiz["questions"]:
        await host.get_by_role("button", name="Next question").click()
        for page in players:
            await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
            await expect(page.locator("#countdown")).to_have_text(re.compile(r"^\d+ s$"))
        await expect(board.locator("#question-prompt")).to_have_text(question["prompt"])
        for page in players:
            await answer(page, question)
        # All ten answered: the question closes, and everyone sees its results.
        for page in (*players, board):
            await expect(page.locator("#results")).to_be_visible(timeout=WAIT_MS)
            await expect(page.locator("#right-answer")).to_contain_text("Right answer")
        await expect(host.locator("#phase")).to_have_text("results", timeout=WAIT_MS)
        await expect(host.locator("#answered")).to_have_text("Answered: 10 of 10")
        await screenshot(players[0], "play-live-results")

    await host.get_by_role("button", name="Finish").click()
    for page in players:
        await expect(page.locator("#prompt")).to_have_text("The quiz is over.", timeout=WAIT_MS)
        await expect(page.locator("#rank")).to_contain_text("You finished number", timeout=WAIT_MS)
    expected = await leaderboard(web, quiz)
    assert len(expected) == 10

    async def board_shows() -> list[tuple[str, int]]:
        rows = await board.locator("#board li").all_inner_texts()
        parsed = [re.match(r"\d+\.\s+(.*?)\s+([\d,]+)$", " ".join(r.split())) for r in rows]
        return [(m.group(1), int(m.group(2).replace(",", ""))) for m in parsed if m]

    deadline = time.monotonic() + 5
    while await board_shows() != expected:
        assert time.monotonic() < deadline, (await board_shows(), expected)
        await board.wait_for_timeout(100)
    final = "The quiz is over. Final board:"  # a snapshot reached the last answer
    await expect(board.locator("#question-prompt")).to_have_text(final, timeout=WAIT_MS)
    await screenshot(host, "host")
    await screenshot(board, "board")
    for page in (host, board, *players):
        await page.close()
    assert console.errors == []


async def test_a_reload_mid_question_resumes_and_a_gateway_restart_is_survived(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, live_body())
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Steady")
    await expect(page.locator("#prompt")).to_contain_text("Waiting for the host")
    player = await page.evaluate(f"sessionStorage.getItem('qb:player:{quiz['id']}')")
    async with httpx.AsyncClient(base_url=web.base) as api:
        as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
        assert (await api.post(f"/quizzes/{quiz['id']}/next", headers=as_host)).status_code == 200
        question = quiz["questions"][0]
        await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)

        await page.reload()
        await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
        await expect(page.locator("#countdown")).to_have_text(re.compile(r"^\d+ s$"))
        assert await page.evaluate(f"sessionStorage.getItem('qb:player:{quiz['id']}')") == player
        await expect(page.get_by_label("Your name")).to_be_hidden()
        await answer(page, question)

        web.stop_gateway()
        await expect(page.locator("#status")).to_contain_text("Connection lost", timeout=WAIT_MS)
        await web.start_gateway()
        await expect(page.locator("#status")).to_have_text("Live", timeout=15_000)
        assert (await api.post(f"/quizzes/{quiz['id']}/next", headers=as_host)).status_code == 200
        second = quiz["questions"][1]
        await expect(page.locator("#prompt")).to_have_text(second["prompt"], timeout=WAIT_MS)
    await screenshot(page, "play-live-question")
    await page.close()
    # The page logged the lost connection while the gateway was down; nothing else.
    assert [e for e in console.errors if "WebSocket" not in e] == []


async def test_the_board_says_when_the_gateway_lost_its_feed_and_when_it_is_back(
    web: WebStack, browser: Browser
) -> None:
    """The socket stays open, but the gateway's own subscription drops (as when its
    Valkey is cut off): the badge says the board may be behind, then "Live" again once
    the gateway has resent what it missed."""
    console = Console()
    quiz = await create(web, quiz_body())
    board = await open_page(
        browser, console, f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}"
    )
    await expect(board.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await board.evaluate("""() => {
        window.badges = [];
        const status = document.getElementById("status");
        new MutationObserver(() => window.badges.push(status.textContent))
            .observe(status, { childList: true, characterData: true, subtree: true });
    }""")
    async with redis_py.Redis.from_url(web.settings.redis_url or "") as redis:
        assert await kill_pubsub_clients(redis) >= 1
    paused = "Live updates paused: catching up…"

    async def paused_shown() -> bool:  # evaluate, not wait_for_function: the CSP has no eval
        return paused in await board.evaluate("window.badges")

    await eventually(paused_shown, within=WAIT_MS / 1000)
    await expect(board.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    badges = await board.evaluate("window.badges")
    assert badges[badges.index(paused) + 1 :] == ["Live"], badges
    await board.close()
    assert console.errors == []


async def test_every_page_renders_without_console_errors(web: WebStack, browser: Browser) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    for name, path in (
        ("index", "/"),
        ("host-create", "/host"),
        ("play-join", f"/play/{quiz['id']}"),
    ):
        page = await open_page(browser, console, web.base + path)
        await expect(page.locator("h1")).not_to_have_text("Loading…")
        await screenshot(page, name)
        await page.close()
    page = await open_page(browser, console, f"{web.base}/")
    await page.get_by_label("Join code").fill(str(quiz["id"]))
    await page.keyboard.press("Enter")  # by keyboard alone
    await expect(page).to_have_url(f"{web.base}/play/{quiz['id']}")
    await expect(page.get_by_label("Your name")).to_be_focused(timeout=WAIT_MS)
    await page.keyboard.type("Keys")
    await page.keyboard.press("Enter")
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await page.keyboard.press("Tab")  # to the first choice
    await page.keyboard.press("Enter")
    await expect(page.locator("#verdict")).not_to_have_text("", timeout=WAIT_MS)
    await screenshot(page, "play-open")
    await page.close()
    assert console.errors == []


async def test_a_player_outside_the_top_10_sees_its_own_row_pinned_below(
    web: WebStack, browser: Browser
) -> None:
    """Its row and its neighbour come pushed by the gateway; then its rank changes, and
    the page makes no request but its answer."""
    console = Console()
    quiz = await create(web, quiz_body())
    async with httpx.AsyncClient(base_url=web.base) as api:
        for number in range(11):
            player = (await api.post(f"/quizzes/{quiz['id']}/join",
                                     json={"display_name": f"Ahead {number}"})).json()  # fmt: skip
            question = quiz["questions"][0]
            reply = await api.post(
                f"/quizzes/{quiz['id']}/answers",
                json={"question_id": question["id"], "answer": question["answer"]},
                headers={"Authorization": f"Bearer {player['token']}"},
            )
            assert reply.status_code == 202
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Last")
    # Below the top 10, after a gap: the 11th (the neighbour above), then the player.
    mine = page.locator("#board li.me")
    await expect(mine).to_contain_text("Last (you)", timeout=WAIT_MS)
    await expect(mine).to_contain_text("12.")
    await expect(page.locator("#board li")).to_have_count(12)
    await expect(page.locator("#board li").nth(10)).to_have_class("pinned")
    await expect(page.locator("#board li").nth(10)).to_contain_text("Ahead")
    await expect(page.locator("#rank")).to_contain_text("You are number 12 of 12")
    # From here the page only watches and answers: its rank comes pushed, not asked for.
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    await answer(page, quiz["questions"][0])  # 100 points: tied with all eleven, first
    await expect(page.locator("#rank")).to_contain_text("You are number 1 of 12", timeout=WAIT_MS)
    assert requests == [f"POST {web.base}/quizzes/{quiz['id']}/answers"]
    await page.close()
    assert console.errors == []


APP_SECRET = "app-secret-of-at-least-32-bytes!"


@pytest.mark.parametrize("settings", [{"jwt_secret": APP_SECRET}], indirect=True)
async def test_an_app_join_link_carries_the_user_s_jwt(web: WebStack, browser: Browser) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    app_token = jwt.encode({"sub": "user.7", "name": "Jay", "exp": int(time.time()) + 600},
                           APP_SECRET, algorithm="HS256")  # fmt: skip
    link = f"{web.base}/play/{quiz['id']}#jwt={app_token}"
    page = await open_page(browser, console, link)
    await page.get_by_role("button", name="Join").click()  # no name: the token names Jay
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await expect(board_row(page, "Jay (you)")).to_be_visible(timeout=WAIT_MS)
    # The same user on another device (a fresh tab): the same player, not a second one.
    again = await open_page(browser, console, link)
    await again.get_by_label("Your name").fill("Jay on a phone")
    await again.get_by_role("button", name="Join").click()
    await expect(board_row(again, "Jay (you)")).to_be_visible(timeout=WAIT_MS)
    for tab in (page, again):
        player = await tab.evaluate(f"JSON.parse(sessionStorage.getItem('qb:player:{quiz['id']}'))")
        assert player["player_id"] == "user.7"
    assert (await leaderboard(web, quiz)) == [("Jay", 0)]
    for tab in (page, again):
        await tab.close()
    assert console.errors == []
