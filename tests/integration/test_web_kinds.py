"""Every kind of question played in a real Chromium on a phone: by clicking, and for
``order`` and ``match`` by keyboard alone; in an open quiz and in a live one."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.support.browser import Console, WebStack, screenshot
from tests.support.media import png, wav
from tests.support.pages import WAIT_MS, create, join, open_page, shown
from tests.support.quizzes import ADMIN_AUTH, KINDS, PAIRS, quiz_body

SENTENCE = KINDS[3]["items"]


async def play_by_clicking(page: Page, question: dict[str, Any]) -> None:
    """Answer ``question`` (as players see it) rightly with the mouse."""
    match question["kind"]:
        case "true_false":
            await page.get_by_role("button", name="True", exact=True).click()
            return
        case "poll":
            await page.get_by_role("button", name="coffee", exact=True).click()
            return
        case "multi":
            await page.get_by_label("apple").check()
            await page.get_by_label("pear").check()
        case "text":
            await page.get_by_label("Your answer").fill("CAFE")
            await page.get_by_role("button", name="Submit").click()
            return
        case "order":
            for target, word in enumerate(SENTENCE):
                shown = await page.locator("ol.order li").all_inner_texts()
                at = next(i for i, row in enumerate(shown) if row.startswith(word))
                for _ in range(at - target):
                    await page.get_by_role("button", name=f"Move {word} up").click()
        case "match":
            for pair in PAIRS:
                await page.get_by_label(pair["left"], exact=True).select_option(label=pair["right"])
    await page.get_by_role("button", name="Submit answer").click()


async def play_by_keyboard(page: Page, question: dict[str, Any]) -> None:
    """Answer an ``order`` or ``match`` question rightly with the keyboard alone."""
    if question["kind"] == "order":
        for target, word in enumerate(SENTENCE):
            rows = page.locator("ol.order li")
            shown = await rows.all_inner_texts()
            at = next(i for i, row in enumerate(shown) if row.startswith(word))
            await rows.nth(at).focus()
            for _ in range(at - target):
                await page.keyboard.press("ArrowUp")
        await expect(page.locator("ol.order li > span")).to_have_text(SENTENCE)
    else:
        await page.get_by_label(PAIRS[0]["left"], exact=True).focus()
        for index, pair in enumerate(PAIRS):
            if index:
                await page.keyboard.press("Tab")
            await page.keyboard.type(pair["right"])  # a select picks by typed text
        await expect(page.get_by_label(PAIRS[-1]["left"], exact=True)).to_be_focused()
    await tab_to(page, "Submit answer")
    await page.keyboard.press("Enter")


async def tab_to(page: Page, name: str) -> None:
    """Press Tab until the button called ``name`` has the focus, as a keyboard user does."""
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.textContent") == name:
            return
    raise AssertionError(f"Tab never reached {name!r}")


async def test_every_kind_is_played_by_clicking_in_an_open_quiz(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, {**quiz_body(), "questions": KINDS})
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Clicker")
    for question in (await _public(web, quiz))["questions"]:
        await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
        await screenshot(page, f"kind-{question['kind']}")
        await play_by_clicking(page, question)
        verdict = "Thanks" if question["kind"] == "poll" else "Right!"
        await expect(page.locator("#verdict")).to_contain_text(verdict, timeout=WAIT_MS)
        if question["kind"] == "true_false":
            await expect(page.locator("#explanation")).to_have_text(KINDS[0]["explanation"])
    total = sum(q.get("points", 0) for q in KINDS)
    await expect(page.locator("#rank")).to_contain_text(f"{shown(total)} points", timeout=WAIT_MS)
    await page.close()
    assert console.errors == []


async def test_order_and_match_are_played_by_keyboard_and_a_partial_answer_says_so(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    questions = [KINDS[3], KINDS[4], {**KINDS[1], "prompt": "Fruits again?"}]
    quiz = await create(web, {**quiz_body(), "questions": questions})
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Keys")
    shown = (await _public(web, quiz))["questions"]
    for question in shown[:2]:
        await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
        await play_by_keyboard(page, question)
        await expect(page.locator("#verdict")).to_contain_text("Right!", timeout=WAIT_MS)
    await expect(page.locator("#prompt")).to_have_text("Fruits again?", timeout=WAIT_MS)
    await page.get_by_role("button", name="Submit answer").click()  # nothing picked
    await expect(page.get_by_role("alert").filter(has_text="Pick at least")).to_be_visible()
    await page.get_by_label("apple").check()
    await page.get_by_role("button", name="Submit answer").click()
    await expect(page.locator("#verdict")).to_have_text("Partly right: +100 points")
    await page.close()
    assert console.errors == []


async def test_a_live_quiz_of_every_kind_shows_each_kind_s_results(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    questions = [{k: v for k, v in q.items() if k != "points"} for q in KINDS]
    quiz = await create(web, {**quiz_body(), "mode": "live", "questions": questions})
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Live")
    expected = ["True", "apple, pear", "café", "I → have → been → there",
                "big = large; fast = quick; glad = happy; cold = chilly", None]  # fmt: skip
    async with httpx.AsyncClient(base_url=web.base) as api:
        idle = {"display_name": "Idle"}  # who never answers: the host reveals each question
        await api.post(f"/quizzes/{quiz['id']}/join", json=idle)
        for right in expected:
            state = (await api.post(f"/quizzes/{quiz['id']}/next", headers=ADMIN_AUTH)).json()
            question = state["question"]
            await expect(page.locator("#prompt")).to_have_text(question["prompt"], timeout=WAIT_MS)
            await play_by_clicking(page, question)
            await expect(page.locator("#message")).to_contain_text("Waiting", timeout=WAIT_MS)
            await api.post(f"/quizzes/{quiz['id']}/reveal", headers=ADMIN_AUTH)
            shown = "A poll: no right answer" if right is None else f"Right answer: {right}"
            await expect(page.locator("#right-answer")).to_have_text(shown, timeout=WAIT_MS)
            if question["kind"] == "true_false":
                await expect(page.locator("#explanation")).to_have_text(KINDS[0]["explanation"])
                await screenshot(page, "kind-results")
    await page.close()
    assert console.errors == []


async def _public(web: WebStack, quiz: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=web.base) as api:
        public: dict[str, Any] = (await api.get(f"/quizzes/{quiz['id']}")).json()
        return public


async def test_the_play_page_shows_the_picture_and_plays_the_sound_only_when_asked(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    async with httpx.AsyncClient(base_url=web.base, headers=ADMIN_AUTH) as api:
        red = (await api.post("/media", content=png(160, 100, (220, 20, 20)))).json()["id"]
        blue = (await api.post("/media", content=png(160, 100, (20, 20, 220)))).json()["id"]
        sound = (await api.post("/media", content=wav())).json()["id"]
    question = {
        "kind": "choice", "prompt": "Listen, then pick the red one.", "points": 10,
        "image": red, "audio": sound, "answer": 0,
        "choices": [{"text": "red", "image": red}, {"text": "blue", "image": blue}],
    }  # fmt: skip
    quiz = await create(web, {**quiz_body(), "questions": [question]})
    page = await open_page(browser, console, f"{web.base}/play/{quiz['id']}")
    await join(page, "Looker")
    figure = page.locator("#question-media img")
    await expect(figure).to_have_attribute("src", f"/media/{red}", timeout=WAIT_MS)
    await expect(page.locator("#choices img")).to_have_count(2)
    loaded = "el => el.complete && el.naturalWidth"
    assert await figure.evaluate(loaded) == 160
    played = "() => [...document.querySelectorAll('audio')].filter(a => !a.paused).length"
    assert await page.evaluate(played) == 0  # nothing plays by itself
    await page.get_by_role("button", name="▶ Hear it").click()
    await screenshot(page, "kind-media")
    await page.get_by_role("button", name="red", exact=True).click()
    await expect(page.locator("#verdict")).to_contain_text("Right!", timeout=WAIT_MS)
    await page.close()
    assert console.errors == []
