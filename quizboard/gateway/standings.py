"""Each watching player's own standing, pushed with the snapshots that change it.

A connection whose token named a player is that player's. When a room's
snapshot comes, a task of the room's (one at a time) reads the whole board
once (:func:`quizboard.store.standings.read_board`), computes every watching
player's standing in one pass (:func:`quizboard.core.standings.standings`) and
writes each player the snapshot and its own standing together, in one write,
leaving the standing out where its rank, score, neighbours and player count are
as last sent. Boards and hosts get the snapshot at once; the players a run later.

Runs follow the snapshots, which the publisher sends at most every 500 ms per
quiz, so a player gets at most one standing per snapshot. A snapshot that comes
while a run is under way waits for it (the newest wins) rather than go to every
player twice: at 10,000 players, a snapshot write and then a standing write to
each was half of the gateway's CPU, and a run that kept its own 500 ms clock
fell out of step with the snapshots and wrote twice for good.

A player who enters gets its standing from a run of its own, which serves only
the players who entered since the last run; such runs come at most every
``interval_s``, a snapshot's run excepted, so a crowd entering costs a run per
interval, not one per player. After the quiz's end every player gets a
standing, changed or not, so each sees its final place. While Redis is away a
run fails quietly (the players still get the snapshot) and the next snapshot
tries again.
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
    stale: bool = False  # any player's standing may have changed: check them all
    held: bytes | None = None  # the newest snapshot's frame, for the next run to take
    task: asyncio.Task[None] | None = None
    resting: asyncio.Future[None] | None = None  # a snapshot ends the run's rest early

    def enter(self, client: ServerConnection, player_id: str) -> None:
        self.players[client] = player_id
        self.due.add(client)

    @property
    def wanted(self) -> bool:
        """Whether a run has anything to do."""
        return bool(self.players) and (self.stale or bool(self.due) or self.held is not None)

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
        self._around = around
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent = 0  # standing messages written
        self.runs = 0  # boards read and computed

    def changed(
        self, quiz_id: int, partition: int, watchers: Watchers, board: bytes | None = None
    ) -> bool:
        """Every standing may have changed: a snapshot came (its ``board`` frame), the
        feed came back, or the quiz ended. Answers whether the standings took the
        snapshot to the players (each in one write with its standing), so that the
        caller sends it to everyone else only."""
        if not watchers.players:
            return False
        watchers.stale = True
        if board is not None:
            watchers.held = board
            if watchers.resting is not None and not watchers.resting.done():
                watchers.resting.set_result(None)
        self._ensure_run(quiz_id, partition, watchers)
        return board is not None

    def entered(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        """A player entered: its standing comes with the next run."""
        self._ensure_run(quiz_id, partition, watchers)

    def finish(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        """The quiz ended: from now on every player gets its standing after each board."""
        watchers.finished = True
        self.changed(quiz_id, partition, watchers)

    def _ensure_run(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        if watchers.task is not None or not watchers.wanted:
            return
        task = asyncio.create_task(
            self._run(quiz_id, partition, watchers), name=f"standings-quiz-{quiz_id}"
        )
        watchers.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self, quiz_id: int, partition: int, watchers: Watchers) -> None:
        loop = asyncio.get_running_loop()
        try:
            while watchers.wanted:
                frame, watchers.held = watchers.held, None
                everyone, watchers.stale = watchers.stale, False
                began = time.monotonic()
                try:
                    await self._push(quiz_id, partition, watchers, frame, everyone=everyone)
                except REDIS_DOWN as exc:
                    log.info("quiz %s: standings wait for Redis: %r", quiz_id, exc)
                    frame = watchers.held or frame
                    if frame is not None:  # the players still get the snapshot
                        for client in list(watchers.players):
                            self._send(quiz_id, client, frame)
                    watchers.held = None
                    return  # the next snapshot, which comes once Redis is back, retries
                if watchers.held is None:  # rest, unless a snapshot comes
                    watchers.resting = loop.create_future()
                    rest = max(0.0, began + self._interval_s - time.monotonic())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(watchers.resting, rest)
                    watchers.resting = None
        finally:
            watchers.task = watchers.resting = None

    async def _push(
        self, quiz_id: int, partition: int, watchers: Watchers, frame: bytes | None, *,
        everyone: bool,
    ) -> None:  # fmt: skip
        """One run: with ``everyone``, each player whose standing changed gets it (with
        ``frame``, the snapshot, if any); otherwise only the players who entered."""
        board, as_of = await read_board(self._redis, self._keys, partition, quiz_id)
        self.runs += 1
        players = watchers.players
        forced = set(players) if watchers.finished else set(watchers.due)
        if everyone:
            clients = list(players.items())
        else:
            clients = [(client, players[client]) for client in forced if client in players]
        watching = {player for _, player in clients}
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
        for client, player in clients:
            standing = computed.get(player)
            if standing is None or (
                client not in forced and unchanged(watchers.sent.get(client), standing)
            ):  # not on the board (yet, or any more), or no news
                if snapshot:
                    self._send(quiz_id, client, snapshot)
                continue
            self._send(quiz_id, client, snapshot + text_frame(ENCODER.encode(standing)))
            watchers.sent[client] = standing
            self.sent += 1
        # Served, or not on the board: one who joins later gets it with the snapshot
        # that its join brings.
        watchers.due.difference_update(client for client, _ in clients)
