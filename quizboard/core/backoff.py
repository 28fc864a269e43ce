"""Exponential backoff with jitter, for every loop that waits for a server to come back."""

from __future__ import annotations

import asyncio
import random


class Backoff:
    """Exponential backoff with jitter, from ``first`` to ``cap`` seconds."""

    def __init__(self, first: float = 0.05, cap: float = 2.0) -> None:
        self.first = first
        self.cap = cap
        self.delay = first

    async def wait(self) -> None:
        await asyncio.sleep(self.delay * random.uniform(0.5, 1.0))
        self.delay = min(self.cap, self.delay * 2)

    def reset(self) -> None:
        self.delay = self.first
