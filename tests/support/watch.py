"""A WebSocket watcher that records every message it gets, for tests that read the log."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


class Watcher:
    """Every message one client got, in order, and a way to wait for the next of a type."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.log: list[dict[str, Any]] = []
        self.raw: list[bytes] = []  # each message as it came
        self._arrived = asyncio.Condition()
        self._read = 0  # how far next() has read

    async def run(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                async with self._arrived:
                    self.raw.append(raw.encode() if isinstance(raw, str) else raw)
                    self.log.append(json.loads(raw))
                    self._arrived.notify_all()

    async def next(self, kind: str, within: float = 5.0) -> dict[str, Any]:
        """The next message of type ``kind`` after the last one this returned."""

        def found() -> bool:
            while self._read < len(self.log):
                self._read += 1
                if self.log[self._read - 1]["type"] == kind:
                    return True
            return False

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(found), within)
        return self.log[self._read - 1]

    def live(self) -> list[dict[str, Any]]:
        """The log's live-quiz messages: without its snapshots, the player's own
        standings and the gateway's word on its feed."""
        return [m for m in self.log if m["type"] not in ("leaderboard", "standing", "feed")]

    def feed(self) -> list[bool]:
        """What the gateway said of its feed, in order: lost (False) or live again."""
        return [m["live"] for m in self.log if m["type"] == "feed"]


@contextlib.asynccontextmanager
async def watching(url: str) -> AsyncIterator[Watcher]:
    """Connect to the gateway at ``url`` and record what comes, until the block ends."""
    async with connect(url) as ws:
        watcher = Watcher(ws)
        task = asyncio.create_task(watcher.run())
        try:
            yield watcher
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
