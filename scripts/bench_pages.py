"""The pages on a slow phone: bytes on the wire and the time to the first useful paint.

    uv run python scripts/bench_pages.py [--baseline REV] [--rounds 3]

``quizboard up`` on an embedded Valkey and PostgreSQL (and with --baseline an earlier
revision too, one after the other in each round, each first in turn). Debian's
Chromium, driven by Playwright, opens each page at 360 x 740 on a first visit (no
cache), with the network throttled through the DevTools protocol to "slow 3G" as
WebPageTest defines it: 400 ms round trip, 400 kbit/s each way. For each page it
reports:
- bytes: everything the page received until it was useful (the transfer sizes of
  the document and of every resource, compressed as served, headers included);
- requests: how many it made by then;
- FCP: the first contentful paint;
- useful: when the page can be used: the join form under the quiz's title (play),
  the join code's QR code (board), the host's controls (host), the join form with
  its script ready (index).
Prints each round, then the medians, and with --baseline the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, ViewportSize, async_playwright

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from loadkit.stack import ADMIN, checkout, database, quizboard, servers
from loadkit.target import sample_quiz

CHROMIUM = os.environ.get("QUIZBOARD_CHROMIUM", "/usr/bin/chromium")
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 50_000,
    "uploadThroughput": 50_000,
}  # fmt: skip  (400 ms, 400 kbit/s in bytes/s)
PHONE: ViewportSize = {"width": 360, "height": 740}
#: Per page: its path (from the quiz) and the condition that makes it useful.
PAGES: dict[str, tuple[str, str]] = {
    "index": ("/", "document.getElementById('quiz-id') && document.readyState === 'complete'"),
    "play": ("/play/{id}", "document.getElementById('join')?.hidden === false"),
    "board": ("/board/{id}#token={host}", "!!document.querySelector('#join-qr svg')"),
    "host": ("/host/{id}#jwt={host}", "document.getElementById('console')?.hidden === false"),
}
TRANSFERRED = """() => {
    const entries = [...performance.getEntriesByType('navigation'),
                     ...performance.getEntriesByType('resource')];
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    return {bytes: entries.reduce((sum, e) => sum + e.transferSize, 0),
            requests: entries.length, fcp: paint ? paint.startTime : null};
}"""


def create_quiz(url: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{url}/quizzes",
        data=json.dumps(sample_quiz()).encode(),
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        quiz: dict[str, Any] = json.loads(response.read())
        return quiz


async def measure(browser: Browser, url: str, quiz: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Each page on a fresh, throttled phone: bytes, requests, FCP and useful (ms)."""
    out: dict[str, dict[str, float]] = {}
    for name, (path, useful) in PAGES.items():
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()
        cdp = await context.new_cdp_session(page)
        await cdp.send("Network.enable")
        await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        await cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        await page.goto(
            url + path.format(id=quiz["id"], host=quiz["host_token"]), wait_until="commit"
        )
        ready = await page.wait_for_function(
            f"() => ({useful}) && performance.now()", polling="raf", timeout=60_000
        )
        at = float(await ready.json_value())
        seen = await page.evaluate(TRANSFERRED)
        out[name] = {"bytes": seen["bytes"], "requests": seen["requests"],
                     "fcp": seen["fcp"] or 0.0, "useful": at}  # fmt: skip
        await context.close()
    return out


@contextlib.contextmanager
def stacks(baseline: str | None) -> Iterator[dict[str, Any]]:
    """The servers, and how to start each variant of quizboard on them."""
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        redis_url, pg_url = stack.enter_context(servers(tmp))
        this = database(pg_url, "this")
        variants: dict[str, Any] = {"this": lambda: quizboard(redis_url, this, tmp)}
        if baseline:
            old = stack.enter_context(checkout(baseline, tmp))
            then = database(pg_url, "baseline")
            variants["baseline"] = lambda: quizboard(redis_url, then, tmp, source=old)
        yield variants


async def run(args: argparse.Namespace, variants: dict[str, Any]) -> None:
    rows: dict[str, list[dict[str, dict[str, float]]]] = {}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        for round_ in range(args.rounds):
            names = list(variants)[:: -1 if round_ % 2 else 1]  # each first in turn
            for name in names:
                with variants[name]() as target:
                    quiz = create_quiz(target["url"])
                    got = await measure(browser, target["url"], quiz)
                rows.setdefault(name, []).append(got)
                for page, m in got.items():
                    print(
                        f"round {round_ + 1} {name:>8} {page:>6}: "
                        f"{m['bytes'] / 1000:6.1f} KB in {m['requests']:.0f} requests, "
                        f"FCP {m['fcp']:.0f} ms, useful {m['useful']:.0f} ms",
                        flush=True,
                    )
        await browser.close()
    print()
    medians = {
        name: {page: {k: statistics.median(r[page][k] for r in runs) for k in runs[0][page]}
               for page in PAGES}
        for name, runs in rows.items()
    }  # fmt: skip
    print(f"{'':>16} {'KB':>7} {'requests':>9} {'FCP ms':>8} {'useful ms':>10}")
    for name, pages in medians.items():
        for page, m in pages.items():
            print(f"{name:>8} {page:>7} {m['bytes'] / 1000:7.1f} {m['requests']:9.0f} "
                  f"{m['fcp']:8.0f} {m['useful']:10.0f}")  # fmt: skip
    if "baseline" in medians:
        print()
        for page in PAGES:
            now, then = medians["this"][page], medians["baseline"][page]
            print(f"{page:>6} this / baseline: bytes {now['bytes'] / then['bytes']:.2f}x, "
                  f"useful {now['useful'] / then['useful']:.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", help="also measure quizboard as of this git revision")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with stacks(args.baseline) as variants:  # its set-up runs event loops of its own
        asyncio.run(run(args, variants))


if __name__ == "__main__":
    main()
