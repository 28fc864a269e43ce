"""What the browser tests do on the pages: create a quiz, open a page, join."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.support.browser import PHONE, Console, WebStack
from tests.support.quizzes import ADMIN_AUTH

WAIT_MS = 10_000


async def create(web: WebStack, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=web.base) as api:
        response = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
        assert response.status_code == 201, response.text
        quiz: dict[str, Any] = response.json()
        return quiz


async def leaderboard(web: WebStack, quiz: dict[str, Any]) -> list[tuple[str, int]]:
    async with httpx.AsyncClient(base_url=web.base) as api:
        board = (await api.get(f"/quizzes/{quiz['id']}/leaderboard")).json()
    return [(e["display_name"], e["score"]) for e in board["entries"]]


async def open_page(browser: Browser, console: Console, url: str) -> Page:
    page = console.watch(await browser.new_page(viewport=PHONE))
    await page.goto(url)
    return page


async def join(page: Page, name: str) -> None:
    await page.get_by_label("Your name").fill(name)
    await page.get_by_role("button", name="Join").click()
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)


def shown(value: float) -> str:
    """A number as the pages write it in English (Intl.NumberFormat: groups of three,
    at most two decimals): 1234.5 is "1,234.5", 1540.0 is "1,540"."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")
