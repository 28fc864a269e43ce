"""The accessibility audit of the pages: axe-core, in the real Chromium, for WCAG 2.1 A
and AA.

axe-core is fetched from the npm registry (a pinned version, checked against its
published integrity) into a cache, and evaluated in the page by the test: it is never
served by quizboard. Playwright's evaluate is not subject to the pages' CSP, so the
pages keep their policy while they are audited.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="  # noqa: E501 (a hash)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quizboard"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@cache
def axe_source() -> str:
    """axe.min.js of the pinned axe-core, downloaded once and checked."""
    cached = CACHE / f"axe-core-{VERSION}.min.js"
    if cached.exists():
        return cached.read_text()
    with urllib.request.urlopen(TARBALL, timeout=60) as response:
        tarball: bytes = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != INTEGRITY:
        raise RuntimeError(f"axe-core {VERSION}: integrity {digest} is not {INTEGRITY}")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        member = archive.extractfile("package/axe.min.js")
        if member is None:
            raise RuntimeError(f"axe-core {VERSION}: no axe.min.js in {TARBALL}")
        source = member.read().decode()
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(source)
    return source


def summary(violations: list[dict[str, Any]]) -> list[str]:
    """Each violation as one line: its rule, its impact and where it is."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]


async def audit(page: Page, state: str) -> None:
    """Check the page as it is now against WCAG 2.1 A and AA; fail naming each breach."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(axe_source())
    result = await page.evaluate(
        "(rules) => axe.run(document, {runOnly: {type: 'tag', values: rules}})", RULES
    )
    found = summary(result["violations"])
    assert not found, f"{state}: {len(found)} accessibility violations:\n" + "\n".join(found)
    AUDITED.append((state, len(result["passes"])))


#: Every state audited in this run, with the number of rules it passed.
AUDITED: list[tuple[str, int]] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The audit's summary at the end of the run: each state audited, with no breach."""
    if AUDITED:
        states = ", ".join(state for state, _ in AUDITED)
        rules = sum(passed for _, passed in AUDITED)
        terminalreporter.write_line(
            f"accessibility (axe-core {VERSION}, WCAG 2.1 A and AA): {len(AUDITED)} states, "
            f"0 violations, {rules} rule checks passed: {states}"
        )
