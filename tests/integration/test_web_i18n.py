"""The pages in English and Vietnamese, in a real Chromium: the browser's language
picks one, the switch in the header bar changes it (and is kept), numbers are written
for the language, and the API's errors are shown in it by their code."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.support.browser import PHONE, Console, WebStack, screenshot
from tests.support.pages import WAIT_MS, create
from tests.support.quizzes import ADMIN, live_body, quiz_body


async def test_a_vietnamese_browser_plays_in_vietnamese_and_can_switch(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    async with httpx.AsyncClient(base_url=web.base) as api:
        taken = await api.post(f"/quizzes/{quiz['id']}/join", json={"display_name": "Lan"})
        assert taken.status_code == 202
    context = await browser.new_context(viewport=PHONE, locale="vi-VN")
    page = console.watch(await context.new_page())
    await page.goto(f"{web.base}/")
    await expect(page.locator("h1")).to_have_text("Tham gia bài đố", timeout=WAIT_MS)
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await page.get_by_label("Mã tham gia").fill(str(quiz["id"]))
    await page.get_by_role("button", name="Mở").click()

    await page.get_by_label("Tên của bạn").fill("lan")  # taken, whatever its case
    await page.get_by_role("button", name="Tham gia").click()
    await expect(page.get_by_role("alert")).to_have_text(
        "Đã có người chơi dùng tên này: hãy chọn tên khác.", timeout=WAIT_MS
    )
    await page.get_by_label("Tên của bạn").fill("Minh")
    await page.get_by_role("button", name="Tham gia").click()
    await expect(page.locator("#status")).to_have_text("Trực tuyến", timeout=WAIT_MS)
    await expect(page.locator("#progress-text")).to_have_text(f"Câu 1 / {len(quiz['questions'])}")
    question = quiz["questions"][0]
    await page.get_by_role("button", name=question["choices"][question["answer"]]).click()
    await expect(page.locator("#verdict")).to_contain_text("Đúng rồi!", timeout=WAIT_MS)
    await expect(page.locator("#rank")).to_contain_text("Bạn đứng thứ", timeout=WAIT_MS)
    await screenshot(page, "play-vi")

    await page.get_by_label("Ngôn ngữ").select_option("en")  # the switch: kept, reloaded
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await expect(page.locator("#rank")).to_contain_text("You are number", timeout=WAIT_MS)
    await page.goto(f"{web.base}/")
    await expect(page.locator("h1")).to_have_text("Join a quiz", timeout=WAIT_MS)
    await context.close()
    # The refused join (409) is logged by the browser as a failed load; nothing else.
    assert [e for e in console.errors if "status of 409" not in e] == []


async def test_the_board_the_host_console_and_the_editor_speak_vietnamese(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, live_body())
    context = await browser.new_context(viewport=PHONE, locale="vi")
    board = console.watch(await context.new_page())
    await board.goto(f"{web.base}/board/{quiz['id']}#token={quiz['host_token']}")
    await expect(board.locator("#join-title")).to_have_text("Tham gia bài đố", timeout=WAIT_MS)
    await expect(board.locator("#players")).to_have_text("0 người chơi", timeout=WAIT_MS)
    link = f"{web.base}/play/{quiz['id']}"
    described = f"Mã QR của đường dẫn tham gia, {link}"
    await expect(board.get_by_role("img", name=described)).to_be_visible()
    host = console.watch(await context.new_page())
    await host.goto(f"{web.base}/host/{quiz['id']}")
    await host.get_by_label("Mã của người dẫn hoặc quản trị").fill(quiz["host_token"])
    await host.get_by_role("button", name="Dùng mã này").click()
    await expect(host.locator("#phase")).to_have_text("phòng chờ", timeout=WAIT_MS)
    await expect(host.get_by_role("button", name="Câu tiếp theo")).to_be_visible()
    await expect(host.locator("#lock-state")).to_have_text("Đang mở: người chơi có thể tham gia.")
    editor = console.watch(await context.new_page())
    await editor.goto(f"{web.base}/host#jwt={ADMIN}")
    await expect(editor.get_by_label("Tiêu đề", exact=True)).to_be_visible(timeout=WAIT_MS)
    await expect(editor.get_by_role("button", name="Lưu bài đố")).to_be_visible()
    await screenshot(host, "host-vi")
    await context.close()
    assert console.errors == []
