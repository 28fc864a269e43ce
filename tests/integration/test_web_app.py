"""The player app, installable from the browser, in a real Chromium: its manifest and
icons, its service worker, and offline, the page that says it needs the network (a
game is never served from a cache)."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.support.browser import PHONE, Console, WebStack, screenshot
from tests.support.pages import WAIT_MS, create, join
from tests.support.quizzes import quiz_body


async def test_the_player_app_installs_and_opens_offline_to_a_page_that_says_so(
    web: WebStack, browser: Browser
) -> None:
    console = Console()
    quiz = await create(web, quiz_body())
    context = await browser.new_context(viewport=PHONE)
    page = console.watch(await context.new_page())
    await page.goto(f"{web.base}/play/{quiz['id']}")
    await join(page, "Offline Olly")

    cdp = await context.new_cdp_session(page)
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    assert manifest["url"] == f"{web.base}/web/manifest.webmanifest"
    state = await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.state)")
    assert state in ("activating", "activated")
    await page.wait_for_function(
        "navigator.serviceWorker.ready.then((r) => r.active.state === 'activated')"
    )
    installable = await cdp.send("Page.getInstallabilityErrors")
    # A test's browser context is incognito, where Chromium installs nothing; that is
    # the only thing that may stand in the way.
    errors = [e["errorId"] for e in installable["installabilityErrors"]]
    assert errors in ([], ["in-incognito"]), errors
    for icon in ("icon-192.png", "icon-512.png", "maskable-512.png"):
        response = await page.request.get(f"{web.base}/web/icons/{icon}")
        assert (response.status, response.headers["content-type"]) == (200, "image/png")

    await context.set_offline(True)
    await page.goto(f"{web.base}/play/{quiz['id']}")
    await expect(page.locator("h1")).to_have_text("You are offline", timeout=WAIT_MS)
    await expect(page.get_by_role("link", name="open quizboard again")).to_be_visible()
    await screenshot(page, "offline")
    await context.set_offline(False)
    await page.goto(f"{web.base}/play/{quiz['id']}")  # back online: the game, not a cache
    await expect(page.locator("#status")).to_have_text("Live", timeout=WAIT_MS)
    await context.close()
    # Offline, the browser logs the failed loads; nothing else.
    assert [e for e in console.errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
