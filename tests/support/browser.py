"""A real Chromium driven by Playwright, and the system as a browser reaches it: the API
and the gateway as real processes on free ports.

Debian's ``chromium`` package (``.ci/run`` installs it): Playwright's own browser
download is not reachable from these machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright

from quizboard.local.embedded import free_port
from quizboard.settings import Settings
from tests.support.axe import audit
from tests.support.processes import spawn, terminate

CHROMIUM = os.environ.get("QUIZBOARD_CHROMIUM", "/usr/bin/chromium")
#: Where the browser tests write their screenshots (``QUIZBOARD_ARTIFACTS``).
ARTIFACTS = Path(
    os.environ.get("QUIZBOARD_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Chromium, launched with the flags a container needs."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            await browser.close()


@dataclass
class Console:
    """Every console error and uncaught exception of the pages it watches."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"{page.url}: {message.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        return page


class WebStack:
    """``quizboard api`` and ``quizboard gateway`` as processes, the pages told where the
    gateway is; the gateway can be stopped and started again on its port."""

    def __init__(self, settings: Settings) -> None:
        self.gateway_port = free_port()
        self.api_port = free_port(frozenset({self.gateway_port}))
        self.settings = settings.replace(public_gateway_url=f"ws://127.0.0.1:{self.gateway_port}")
        self.base = f"http://127.0.0.1:{self.api_port}"
        self._api: subprocess.Popen[bytes] | None = None
        self._gateway: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self._api = spawn(self.settings, "api", "--port", str(self.api_port))
        await self.start_gateway()
        await _healthy(f"{self.base}/healthz", self._api)

    async def start_gateway(self) -> None:
        self._gateway = spawn(self.settings, "gateway", "--port", str(self.gateway_port))
        await _healthy(f"http://127.0.0.1:{self.gateway_port}/healthz", self._gateway)

    def stop_gateway(self) -> None:
        if self._gateway is not None:
            terminate(self._gateway, timeout=20)
            self._gateway = None

    def stop(self) -> None:
        self.stop_gateway()
        if self._api is not None:
            terminate(self._api, timeout=20)


async def _healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert process.poll() is None, f"{url}: the process exited"
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@contextlib.asynccontextmanager
async def web_stack(settings: Settings) -> AsyncIterator[WebStack]:
    stack = WebStack(settings)
    try:
        await stack.start()
        yield stack
    finally:
        stack.stop()


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot of ``page`` at phone and desktop size, each size audited
    for accessibility first (WCAG 2.1 A and AA: :mod:`tests.support.axe`); the phone
    one's path. Every state a browser test shows in a picture is audited."""
    await asyncio.to_thread(ARTIFACTS.mkdir, parents=True, exist_ok=True)
    paths = []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(viewport)
        await audit(page, f"{name} ({size})")
        path = ARTIFACTS / f"{name}-{size}.png"
        await page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    await page.set_viewport_size(PHONE)
    return paths[0]
