"""The big screen at the start and the end of a game, in a real Chromium: the join link
as a QR code (read back by an independent decoder, ZXing's) with a join code to type,
and the podium revealed third, second, first."""

from __future__ import annotations

import re
from typing import Any

import httpx
import zxingcpp
from playwright.async_api import Browser, Page, expect

from tests.support.browser import DESKTOP, PHONE, Console, WebStack, screenshot
from tests.support.pages import WAIT_MS, create, join, leaderboard, open_page, shown
from tests.support.quizzes import live_body

MODULE = re.compile(r"M(\d+) (\d+)h1v1h-1z")


async def shown_qr(page: Page, where: str) -> list[list[bool]]:
    """The QR code drawn in ``where``, as rows of dark (True) and light modules."""
    svg = page.locator(f"{where} svg.qr")
    size = int((await svg.get_attribute("viewBox") or "").split()[2])
    grid = [[False] * size for _ in range(size)]
    for x, y in MODULE.findall(await svg.locator("path").get_attribute("d") or ""):
        grid[int(y)][int(x)] = True
    return grid


def decoded(grid: list[list[bool]], scale: int = 4) -> list[str]:
    """What a QR decoder (ZXing's) reads in ``grid``, drawn black on white."""
    pixels = bytearray()
    for row in grid:
        line = b"".join((b"\x00" if dark else b"\xff") * scale for dark in row)
        pixels += line * scale
    data, side = bytes(pixels), len(grid) * scale  # the view borrows data: keep it
    view = zxingcpp.ImageView(data, side, side, zxingcpp.ImageFormat.Lum)
    return [found.text for found in zxingcpp.read_barcodes(view)]


async def test_the_board_shows_a_qr_code_and_a_join_code_and_ends_on_a_podium(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, live_body(picks=(0,)))
    board = console.watch(await browser.new_page(viewport=DESKTOP))
    await board.goto(f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}")
    link = f"{web.base}/play/{quiz['id']}"
    await expect(board.locator("#join-code")).to_have_text(str(quiz["id"]), timeout=WAIT_MS)
    described = f"A QR code of the join link, {link}"
    await expect(board.get_by_role("img", name=described)).to_be_visible()
    assert decoded(await shown_qr(board, "#join-qr")) == [link]
    await screenshot(board, "board-join")

    # The join code, typed on the front page, opens the quiz.
    players: list[Page] = []
    for number in range(4):
        page = await open_page(browser, console, f"{web.base}/")
        await page.get_by_label("Join code").fill(f" {quiz['id']} ")
        await page.get_by_role("button", name="Open").click()
        await expect(page).to_have_url(link, timeout=WAIT_MS)
        await join(page, f"Player {number}")
        players.append(page)
    question = quiz["questions"][0]
    right = question["choices"][question["answer"]]
    async with httpx.AsyncClient(base_url=web.base) as api:
        as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
        assert (await api.post(f"/quizzes/{quiz['id']}/next", headers=as_host)).status_code == 200
        for page in players[:3]:  # in turn, so the faster gets more points
            await page.get_by_role("button", name=right, exact=True).click()
            await expect(page.locator("#verdict")).to_contain_text("Right!", timeout=WAIT_MS)
        assert (await api.post(f"/quizzes/{quiz['id']}/finish", headers=as_host)).status_code == 200

    steps = board.locator("#steps li")
    await expect(steps).to_have_count(3, timeout=WAIT_MS)
    await expect(board.locator("#steps li.place-1.shown")).to_be_visible(timeout=WAIT_MS)
    top = (await leaderboard(web, quiz))[:3]  # the podium is the final board: now read it
    for place, (name, score) in enumerate(top):
        step = board.locator(f"#steps li.place-{place + 1}")
        await expect(step).to_contain_text(name)
        await expect(step).to_contain_text(f"{shown(score)} points")
    await board.wait_for_timeout(700)  # the first step's rise ends, for the picture
    await screenshot(board, "podium")
    for page in (board, *players):
        await page.close()
    assert console.errors == []


async def test_the_host_console_shows_the_join_code_and_its_qr_code(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz: dict[str, Any] = await create(web, live_body())
    host = await open_page(browser, console, f"{web.base}/host/{quiz['id']}")
    await host.get_by_label("Host or admin token").fill(quiz["host_token"])
    await host.get_by_role("button", name="Use token").click()
    await expect(host.locator("#join-code")).to_have_text(str(quiz["id"]), timeout=WAIT_MS)
    link = f"{web.base}/play/{quiz['id']}"
    assert decoded(await shown_qr(host, "#join-qr")) == [link]
    await host.close()
    assert console.errors == []


async def test_a_quiz_that_shows_its_board_between_questions_hides_it_mid_question(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, {**live_body(picks=(0,)), "board_between_questions": True})
    player = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(player, "Ann")
    board = player.locator("#board-card")
    await expect(board).to_be_visible()
    question = quiz["questions"][0]
    async with httpx.AsyncClient(base_url=web.base) as api:
        as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
        assert (await api.post(f"/quizzes/{quiz['id']}/next", headers=as_host)).status_code == 200
        await expect(player.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
        await expect(board).to_be_hidden()
        right = question["choices"][question["answer"]]
        await player.get_by_role("button", name=right, exact=True).click()
        await expect(player.locator("#results")).to_be_visible(timeout=WAIT_MS)  # all answered
        await expect(board).to_be_visible()
        assert (await api.post(f"/quizzes/{quiz['id']}/finish", headers=as_host)).status_code == 200
    score = (await leaderboard(web, quiz))[0][1]
    await expect(player.locator("#rank")).to_have_text(
        f"You finished number 1 of 1, with {score} points.", timeout=WAIT_MS
    )
    await player.close()
    assert console.errors == []


async def test_tried_as_a_new_player_would_from_the_qr_code_in_vietnamese_to_the_podium(
    web: WebStack, browser: Browser
) -> None:
    """The board on a desktop; the QR code's link, read by a decoder as a phone's camera
    would, opened on a phone in Vietnamese; played to the podium; then offline."""
    console = Console()
    quiz = await create(web, live_body(picks=(0,)))
    board = console.watch(await browser.new_page(viewport=DESKTOP))
    await board.goto(f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}")
    await expect(board.locator("#join-qr svg.qr")).to_be_visible(timeout=WAIT_MS)
    (link,) = decoded(await shown_qr(board, "#join-qr"))
    phone = await browser.new_context(viewport=PHONE, locale="vi-VN")
    player = console.watch(await phone.new_page())
    await player.goto(link)
    await player.get_by_label("Tên của bạn").fill("Minh")
    await player.get_by_role("button", name="Tham gia").click()
    await expect(player.locator("#prompt")).to_have_text(
        "Đang chờ người dẫn bắt đầu bài đố…", timeout=WAIT_MS
    )
    question = quiz["questions"][0]
    async with httpx.AsyncClient(base_url=web.base) as api:
        as_host = {"Authorization": f"Bearer {quiz['host_token']}"}
        assert (await api.post(f"/quizzes/{quiz['id']}/next", headers=as_host)).status_code == 200
        await player.get_by_role("button", name=question["choices"][question["answer"]]).click()
        await expect(player.locator("#verdict")).to_contain_text("Đúng rồi!", timeout=WAIT_MS)
        assert (await api.post(f"/quizzes/{quiz['id']}/finish", headers=as_host)).status_code == 200
    await expect(player.locator("#rank")).to_contain_text("Bạn về đích thứ 1 / 1", timeout=WAIT_MS)
    await expect(board.locator("#steps li.place-1.shown")).to_contain_text("Minh", timeout=WAIT_MS)
    await phone.set_offline(True)  # the player app, opened again without a network
    await player.goto(link)
    await expect(player.locator("h1")).to_have_text("You are offline", timeout=WAIT_MS)
    await expect(player.get_by_role("heading", name="Bạn đang ngoại tuyến")).to_be_visible()
    await phone.close()
    await board.close()
    # Offline, the browser logs the failed loads; nothing else.
    assert [e for e in console.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
