"""The quiz editor of the host console in a real Chromium: a live quiz with a question of
each kind, a picture and a sound, written in the browser; the API's complaint shown next
to its field; the quiz exported to a spreadsheet and imported back; and played by three
players."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.support.browser import Console, WebStack, screenshot
from tests.support.media import png, wav
from tests.support.pages import WAIT_MS, open_page
from tests.support.quizzes import ADMIN, ADMIN_AUTH


def question(page: Page, index: int) -> Locator:
    return page.locator("#editor fieldset.question").nth(index)


async def write(page: Page, index: int, kind: str, prompt: str) -> Locator:
    """Add question ``index`` (the first exists already) of ``kind`` with ``prompt``."""
    if index:
        await page.get_by_role("button", name="Add question").click()
    block = question(page, index)
    await block.get_by_label("Kind", exact=True).select_option(kind)
    await block.get_by_label("Question", exact=True).fill(prompt)
    return block


async def choices(block: Locator, texts: list[str], right: list[int]) -> None:
    rows = block.locator(".choice-list li")
    for i, text in enumerate(texts):
        if i >= await rows.count():
            await block.get_by_role("button", name="Add choice").click()
        await rows.nth(i).locator("input[type=text]").fill(text)
        if i in right:
            await rows.nth(i).locator(".right-mark").check()


async def test_a_live_quiz_of_every_kind_is_written_exported_imported_and_played(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    page = await open_page(browser, console, f"{web.base}/host")
    await page.get_by_label("Host or admin token").fill(ADMIN)
    await page.get_by_role("button", name="Use token").click()
    await page.get_by_label("Title", exact=True).fill("Every kind")
    await page.get_by_label("Names", exact=True).select_option("generated")
    await page.get_by_label("Players may join a live quiz after its first question").uncheck()

    first = await write(page, 0, "choice", "Which one is a cat?")
    await choices(first, ["cat", "dog"], right=[0])
    picture = {"name": "cat.png", "mimeType": "image/png", "buffer": png(120, 80)}
    await first.get_by_label("Picture", exact=True).set_input_files(files=[picture])
    sound = {"name": "cat.wav", "mimeType": "audio/wav", "buffer": wav()}
    await first.get_by_label("Sound", exact=True).set_input_files(files=[sound])
    await expect(first.get_by_text("uploaded (audio/wav)")).to_be_visible(timeout=WAIT_MS)
    await expect(first.get_by_text("uploaded (image/png)")).to_be_visible()

    block = await write(page, 1, "true_false", "A kitten is a young cat.")
    block = await write(page, 2, "multi", "Which are animals?")
    await choices(block, ["cat", "chair", "cow"], right=[])  # no right choice yet
    block = await write(page, 3, "text", "Write 'cat' in French.")
    await block.get_by_label("Accepted answers (one per line)").fill("chat")
    block = await write(page, 4, "order", "Make the sentence.")
    await block.get_by_label("Items in the right order", exact=False).fill("the\ncat\nsleeps")
    block = await write(page, 5, "match", "Match the words.")
    await block.get_by_label("Pairs (one per line: word = meaning)").fill("cat = chat\ndog = chien")
    block = await write(page, 6, "poll", "Cats or dogs?")
    await choices(block, ["cats", "dogs"], right=[])
    await question(page, 6).get_by_label("No timer: I reveal it").check()

    await page.get_by_role("button", name="Save quiz").click()
    errors = question(page, 2).locator(".field-error").filter(has_text="Tick at least one right")
    await expect(errors).to_be_visible(timeout=WAIT_MS)  # next to question 3's choices
    await screenshot(page, "editor-error")
    await question(page, 2).locator(".right-mark").nth(0).check()
    await question(page, 2).locator(".right-mark").nth(2).check()
    await page.get_by_role("button", name="Save quiz").click()
    await expect(page).to_have_url(f"{web.base}/host/1", timeout=WAIT_MS)
    await screenshot(page, "editor-saved")

    written = await export(web, 1)
    assert (written["names"], written["late_join"]) == ("generated", False)
    kinds = [q["kind"] for q in written["questions"]]
    assert kinds == ["choice", "true_false", "multi", "text", "order", "match", "poll"]
    one = written["questions"][0]
    assert (one["choices"], one["answer"], bool(one["image"]), bool(one["audio"])) == (
        ["cat", "dog"], 0, True, True,
    )  # fmt: skip
    assert written["questions"][2]["answers"] == [0, 2]
    assert written["questions"][5]["pairs"] == [{"left": "cat", "right": "chat"},
                                                {"left": "dog", "right": "chien"}]  # fmt: skip
    assert written["questions"][6]["time_limit_s"] is None

    async with page.expect_download() as downloading:
        await page.get_by_role("button", name="Export as a spreadsheet").click()
    sheet = await (await downloading.value).path()
    back = await open_page(browser, console, f"{web.base}/host")
    await back.get_by_label("Host or admin token").fill(ADMIN)
    await back.get_by_role("button", name="Use token").click()
    await back.get_by_label("A quiz file", exact=False).set_input_files(sheet)
    await back.get_by_role("button", name="Create quiz").click()
    await expect(back).to_have_url(f"{web.base}/host/2", timeout=WAIT_MS)
    assert (await export(web, 2))["questions"] == written["questions"]

    players = [await open_page(browser, console, f"{web.base}/play/1") for _ in range(3)]
    for player in players:  # the quiz gives the names: the page asks for none
        await expect(player.get_by_label("Your name")).to_be_hidden(timeout=WAIT_MS)
        await player.get_by_role("button", name="Join").click()
        await expect(player.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await page.get_by_role("button", name="Next question").click()
    for player in players:
        await expect(player.locator("#question-media img")).to_be_visible(timeout=WAIT_MS)
        await player.get_by_role("button", name="cat", exact=True).click()
    for player in players:  # everyone answered: the question closed by itself
        await expect(player.locator("#right-answer")).to_have_text(
            "Right answer: cat", timeout=WAIT_MS
        )
    for open_ in (page, back, *players):
        await open_.close()
    # The browser logs the one refused save (422) as a failed load; nothing else.
    assert [e for e in console.errors if "status of 422" not in e] == []
    assert len(console.errors) == 1


async def export(web: WebStack, quiz_id: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=web.base, headers=ADMIN_AUTH) as api:
        body: dict[str, Any] = (await api.get(f"/quizzes/{quiz_id}/export")).json()
        return body
