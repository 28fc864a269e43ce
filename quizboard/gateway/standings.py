"""Each watching player's own standing, pushed after the snapshots that change it.

A connection whose token named a player is that player's. After a room's
snapshot comes, a task of the room's (one at a time) reads the whole board
once (:func:`quizboard.store.standings.read_board`), computes every watching
player's standing in one pass (:func:`quizboard.core.standings.standings`) and
sends each connection its own, skipping those whose rank, score, neighbours and
player count are as last sent. A room computes at most once per ``interval_s``:
snapshots that come meanwhile make one more run at the end of it (leading and
trailing edge, as the snapshots themselves).

A profile of the gateway with 2,000 players put a third of its CPU in writing to
the sockets, one write per message per client. So when a run can start at once,
it takes the snapshot's frame along: boards and hosts get the snapshot right
away, and each player gets it in the same write as its standing, a few
milliseconds later. Snapshots come at most every 500 ms, as runs do, so the
next one often comes just before the run waiting out its interval is due: it
waits for that run (at most a fifth of the interval) and goes with it. One that
comes earlier goes to everyone at once, and the standings follow with the next
run. (At 10,000 players, writing a snapshot and then a standing to each player
was half of the gateway's CPU.)

A player who enters gets its standing with the next run; after the quiz's end
every player gets one, changed or not, so each sees its final place. While
Redis is away a run fails quietly and the next snapshot tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from websockets.asyncio.server import ServerConnection

from quizboard.core.keys import Keys
from quizboard.core.standings import ENCODER, StandingMessage, neighbours_of, standings, unchanged
from quizboard.gateway.frames import text_frame
from quizboard.store.connections import REDIS_DOWN, Redis
from quizboard.store.standings import read_board, read_names

log = logging.getLogger(__name__)

AROUND = 1  # neighbours each side, as the player's page shows them

#: How the pusher writes to one client of a quiz's room: ``send(quiz_id, client, data)``
#: with ``data`` one or more whole frames; the rooms close a client that falls behind.
Send = Callable[[int, ServerConnection, bytes], None]


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
    wakes_at: float = 0.0  # while the run waits out its interval: when it runs again
    held: bytes | None = None  # a snapshot's frame the next run takes to the players

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
        self, redis: Redis, keys: Keys, send: Send, *, interval_s: float = 0.5,
        around: int = AROUND,
    ) -> None:  # fmt: skip
        self._redis = redis
        self._keys = keys
        self._send = send
        self._interval_s = interval_s
        self._hold_s = interval_s / 5
        self._around = around
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0  # standing messages written
        self.runs = 0  # boards read and computed

    def changed(
        self, quiz_id: int, partition: int, watchers: Watchers, board: bytes | None = None
    ) -> bool:
        """A snapshot came (or a player entered): make sure a run follows. Given the
        snapshot's ``board`` frame, a run that can start now takes it to the players,
        each in one write with its standing: then it answers ``True``, and the caller
        sends the snapshot to everyone else."""
        if not watchers.players:
            return False
        watchers.dirty = True
        if watchers.task is not None:
            # A run about to begin takes the snapshot along rather than write to every
            # player twice (the snapshot now, its standing then).
            if board is not None and 0 < watchers.wakes_at - time.monotonic() <= self._hold_s:
                watchers.held = board
                return True
            return False
        task = asyncio.create_task(
            self._run(quiz_id, partition, watchers, board), name=f"standings-quiz-{quiz_id}"
        )
        watchers.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return board is not None

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

    async def _run(
        self, quiz_id: int, partition: int, watchers: Watchers, board: bytes | None
    ) -> None:
        try:
            while watchers.dirty and watchers.players:
                watchers.dirty = False
                began = time.monotonic()
                try:
                    await self._push(quiz_id, partition, watchers, board)
                except REDIS_DOWN as exc:
                    log.info("quiz %s: standings wait for Redis: %r", quiz_id, exc)
                    if board is not None:  # the players still get the snapshot
                        for client in list(watchers.players):
                            self._send(quiz_id, client, board)
                    return  # the next snapshot, which comes once Redis is back, retries
                watchers.wakes_at = began + self._interval_s
                await asyncio.sleep(max(0.0, watchers.wakes_at - time.monotonic()))
                watchers.wakes_at = 0.0
                board, watchers.held = watchers.held, None
        finally:
            watchers.task = None
            watchers.wakes_at = 0.0

    async def _push(
        self, quiz_id: int, partition: int, watchers: Watchers, frame: bytes | None
    ) -> None:
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
        snapshot = frame or b""
        for client, player in list(watchers.players.items()):
            standing = computed.get(player)
            if standing is None:  # not on the board (yet, or any more)
                if snapshot:
                    self._send(quiz_id, client, snapshot)
                continue
            forced = watchers.finished or client in watchers.due
            if not forced and unchanged(watchers.sent.get(client), standing):
                if snapshot:
                    self._send(quiz_id, client, snapshot)
                continue
            self._send(quiz_id, client, snapshot + text_frame(ENCODER.encode(standing)))
            watchers.sent[client] = standing
            watchers.due.discard(client)
            self.sent += 1
