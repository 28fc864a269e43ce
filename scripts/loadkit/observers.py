"""Watching the system from outside: WebSocket watchers and the consumer groups' progress."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

#: One Valkey, or a cluster (the stream and its groups live on one node either way).
Client = aioredis.Redis | RedisCluster

# A snapshot as a watcher saw it: wall-clock arrival, version, as_of, total players.
Arrival = tuple[float, int, str, int]


@dataclass
class Watchers:
    """``count`` WebSocket clients on one quiz, each recording what arrives and when."""

    url: str
    count: int
    arrivals: list[list[Arrival]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    connected: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        self.arrivals = [[] for _ in range(self.count)]
        await asyncio.gather(*[self._watch(i, stop) for i in range(self.count)])

    async def _watch(self, index: int, stop: asyncio.Event) -> None:
        try:
            async with connect(self.url, compression=None, max_size=2**22) as ws:
                self.connected += 1
                record = self.arrivals[index]
                reading = asyncio.ensure_future(stop.wait())
                while not stop.is_set():
                    receiving = asyncio.ensure_future(ws.recv())
                    done, _ = await asyncio.wait(
                        {receiving, reading}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if receiving not in done:
                        receiving.cancel()
                        break
                    message = json.loads(receiving.result())
                    record.append(
                        (
                            time.time(),
                            message["version"],
                            message["as_of"],
                            message["total_players"],
                        )
                    )
                reading.cancel()
        except (ConnectionClosed, InvalidStatus, OSError) as exc:
            name = type(exc).__name__
            self.failures[name] = self.failures.get(name, 0) + 1


def _covered(last_delivered: str, pending: int, oldest_pending: str | None) -> tuple[int, int]:
    ms, _, seq = last_delivered.partition("-")
    covered = (int(ms), int(seq or 0))
    if pending and oldest_pending:
        ms, _, seq = oldest_pending.partition("-")
        covered = min(covered, (int(ms), int(seq) - 1))
    return covered


@dataclass
class GroupProgress:
    """How far each consumer group has applied one stream: every id up to ``covered``."""

    redis: Client
    stream: str
    groups: tuple[str, ...]
    observations: dict[str, list[tuple[float, tuple[int, int]]]] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event, every: float = 0.01) -> None:
        self.observations = {g: [] for g in self.groups}
        while not stop.is_set():
            await self.poll()
            await asyncio.sleep(every)

    async def poll(self) -> dict[str, tuple[int, int]]:
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xinfo_groups(self.stream)
            for group in self.groups:
                pipe.xpending(self.stream, group)
            replies = await pipe.execute(raise_on_error=False)
        if isinstance(replies[0], Exception):
            return {}
        info = {g["name"].decode(): g for g in replies[0]}
        result = {}
        for group, pending in zip(self.groups, replies[1:], strict=True):
            if group not in info or isinstance(pending, Exception):
                continue
            oldest = pending["min"].decode() if pending["min"] else None
            covered = _covered(
                info[group]["last-delivered-id"].decode(), pending["pending"], oldest
            )
            self.observations[group].append((now, covered))
            result[group] = covered
        return result
