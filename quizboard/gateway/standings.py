"""Each watching player's own standing, pushed after the snapshots that change it.

A connection whose token named a player is that player's. After a room's
snapshot goes out, a task of the room's (one at a time) reads the whole board
once (:func:`quizboard.store.standings.read_board`), computes every watching
player's standing in one pass (:func:`quizboard.core.standings.standings`) and
sends each connection its own, skipping those whose rank, score and neighbours
are as last sent. A room computes at most once per ``interval_s``: snapshots
that come meanwhile make one more run at the end of it (leading and trailing
edge, as the snapshots themselves). The snapshot's broadcast never waits for
this: it goes out first, and the standings follow.

A player who enters gets its standing with the next run; after the quiz's end
every player gets one, changed or not, so each sees its final place. While
Redis is away a run fails quietly and the next snapshot tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import websockets
from websockets.asyncio.server import ServerConnection

from quizboard.core.keys import Keys
from quizboard.core.standings import ENCODER, StandingMessage, neighbours_of, standings, unchanged
from quizboard.store.connections import REDIS_DOWN, Redis
from quizboard.store.standings import read_board, read_names

log = logging.getLogger(__name__)

AROUND = 1  # neighbours each side, as the player's page shows them


@dataclass(slots=True)
class Watchers:
    """A room's player connections, and what each was last sent."""

    players: dict[ServerConnection, str] = field(default_factory=dict)
    sent: dict[ServerConnection, StandingMessage] = field(default_factory=dict)
    due: set[ServerConnection] = field(default_factory=set)  # get one, changed or not
    names: dict[str, str] = field(default_factory=dict)  # display names seen
    finished: bool = False  # the quiz ended: every player gets its final standing
    dirty: bool = False  # a snapshot came since the last run began
    task: asyncio.Task[None] | None = None

    def enter(self, client: ServerConnection, player_id: str) -> None:
        self.players[client] = player_id
        self.due.add(client)
        self.dirty = True

    def leave(self, client: ServerConnection) -> None:
        self.players.pop(client, None)
        self.sent.pop(client, None)
        self.due.discard(client)


class StandingsPusher:
    """Runs the rooms' standings: one task per room at most, owned here."""

    def __init__(
        self, redis: Redis, keys: Keys, *, interval_s: float = 0.5, around: int = AROUND
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._interval_s = interval_s
        self._around = around
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0  # standing messages written
        self.runs = 0  # boards read and computed

    def changed(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        """A snapshot went out (or a player entered): make sure a run follows."""
        if not watchers.players:
            return
        watchers.dirty = True
        if watchers.task is None:
            task = asyncio.create_task(
                self._run(quiz_id, partition, watchers), name=f"standings-quiz-{quiz_id}"
            )
            watchers.task = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def finish(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        """The quiz ended: from now on every player gets its standing after each board."""
        watchers.finished = True
        self.changed(quiz_id, partition, watchers)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        try:
            while watchers.dirty and watchers.players:
                watchers.dirty = False
                began = time.monotonic()
                try:
                    await self._push(quiz_id, partition, watchers)
                except REDIS_DOWN as exc:
                    log.info("quiz %s: standings wait for Redis: %r", quiz_id, exc)
                    return  # the next snapshot, which comes once Redis is back, retries
                await asyncio.sleep(max(0.0, began + self._interval_s - time.monotonic()))
        finally:
            watchers.task = None

    async def _push(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        board, as_of = await read_board(self._redis, self._keys, partition, quiz_id)
        self.runs += 1
        watching = set(watchers.players.values())
        missing = neighbours_of(board, watching, self._around) - watchers.names.keys()
        if missing:
            found = await read_names(self._redis, self._keys, partition, quiz_id, missing)
            watchers.names.update(found)
        names = watchers.names
        computed = standings(
            quiz_id, board, watching, lambda p: names.get(p, ""), around=self._around,
            as_of=as_of,
        )  # fmt: skip
        encoded: dict[str, str] = {}
        for client, player in list(watchers.players.items()):
            standing = computed.get(player)
            if standing is None:
                continue  # not on the board (yet, or any more)
            forced = watchers.finished or client in watchers.due
            if not forced and unchanged(watchers.sent.get(client), standing):
                continue
            if player not in encoded:
                encoded[player] = ENCODER.encode(standing).decode()
            websockets.broadcast([client], encoded[player])
            watchers.sent[client] = standing
            watchers.due.discard(client)
            self.sent += 1
