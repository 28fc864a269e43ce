"""Rooms: the clients watching one quiz, and the pub/sub subscriptions that feed them.

One sharded subscription (SSUBSCRIBE) per quiz with at least one client, on
one pub/sub connection per process (per node of a cluster: see
:mod:`quizboard.store.shard_pubsub`); the channel is dropped when its room
empties. Each published snapshot is fanned out as one frame, built once and
written to every socket without waiting (:mod:`quizboard.gateway.frames`); a
player's connection gets it in the same write as its standing
(:mod:`quizboard.gateway.standings`). That is what we want for a live board,
but a client that stops reading would then buffer without bound, so a client
whose write buffer passes ``max_buffer`` is closed with 1013 instead of being
silently starved or slowing the others.

When Redis goes away the reader reconnects with backoff, subscribes again to
every room's channel and sends each room its last snapshot, so no client keeps
a stale board, and what a live quiz published meanwhile. Its clients are told:
``{"type": "feed", "live": false}`` when the feed is lost (a client that enters
meanwhile gets it too), and ``{"type": "feed", "live": true}`` once their rooms
have been sent what they missed.

A team quiz's team board comes on the same channel right after each snapshot, with
its version; a room keeps the newest, and a client that enters gets it after the
snapshot. A live quiz's messages come on the same channel too; which of them a
room's clients still need is its :class:`~quizboard.gateway.live_view.LiveView`'s to
decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

import msgspec
from websockets.asyncio.server import ServerConnection

from quizboard.core.backoff import Backoff
from quizboard.core.errors import NotFound
from quizboard.core.keys import Keys
from quizboard.core.leaderboard import SNAPSHOT_TYPE, empty_snapshot, snapshot_message
from quizboard.core.live import LIVE_TYPES, MESSAGE_DECODER
from quizboard.core.room import REMOVED_CLOSE_CODE, REMOVED_TYPE, PlayerRemoved
from quizboard.core.teams import TEAM_BOARD_TYPE
from quizboard.gateway.frames import text_frame, write
from quizboard.gateway.live_view import LiveView
from quizboard.gateway.standings import StandingsPusher, Watchers
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import REDIS_DOWN, Redis
from quizboard.store.leaderboard import read_snapshot
from quizboard.store.live_replay import replay
from quizboard.store.shard_pubsub import shard_listener

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013
FEED_TYPE = "feed"
FEED_LOST = msgspec.json.encode({"type": FEED_TYPE, "live": False})
FEED_BACK = msgspec.json.encode({"type": FEED_TYPE, "live": True})


class _Header(msgspec.Struct):
    type: str = ""
    version: int = 0


HEADER_DECODER = msgspec.json.Decoder(_Header)
REMOVED_DECODER = msgspec.json.Decoder(PlayerRemoved)


def header(data: bytes) -> tuple[str, _Header] | None:
    """A message's text, type and version; ``None`` for anything that is not JSON."""
    try:
        return data.decode(), HEADER_DECODER.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
        return None


def versioned(data: object, kind: str = SNAPSHOT_TYPE) -> tuple[str, int] | None:
    """A stored message's text and version; ``None`` for anything that is not a
    message of type ``kind``."""
    read = header(data) if isinstance(data, bytes) else None
    if read is None or read[1].type != kind:
        return None
    return read[0], read[1].version


@dataclass(frozen=True, slots=True)
class Boards:
    """A quiz's last snapshot, and its last team board (a team quiz's), with versions."""

    message: str
    version: int
    teams: tuple[str, int] | None = None


@dataclass(slots=True)
class Room:
    """The clients of one quiz and the newest snapshot they were sent."""

    quiz_id: int
    partition: int
    channel: str
    clients: set[ServerConnection] = field(default_factory=set)
    version: int = -1
    message: str | None = None
    teams: tuple[str, int] | None = None  # the newest team board sent, and its version
    entering: int = 0  # clients on their way in: the room must outlive their first snapshot
    live: LiveView = field(default_factory=LiveView)  # its live quiz, as its clients saw it
    watchers: Watchers = field(default_factory=Watchers)  # its players' connections


class Rooms:
    """Every room of this process, and the pub/sub listener behind them."""

    def __init__(
        self, redis: Redis, listener: Redis, keys: Keys, quizzes: QuizCatalog, *,
        top_n: int, max_buffer: int,
    ) -> None:  # fmt: skip
        self._redis = redis
        self._listener = shard_listener(listener)
        self._keys = keys
        self._quizzes = quizzes
        self._top_n = top_n
        self._max_buffer = max_buffer
        self._rooms: dict[int, Room] = {}
        # Rooms come and go with their subscriptions in order: an unsubscribe still on
        # its way must not land after the subscribe of a room opened again meanwhile.
        self._subscribing = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()
        self.standings = StandingsPusher(redis, keys, self._send_one)
        self.slow_clients_closed = 0
        self.messages_sent = 0
        self.feed_losses = 0
        self._feed_lost = False  # and the rooms were told

    @property
    def connections(self) -> int:
        return sum(len(room.clients) for room in self._rooms.values())

    @property
    def count(self) -> int:
        return len(self._rooms)

    @property
    def standings_sent(self) -> int:
        return self.standings.sent

    @property
    def standing_runs(self) -> int:
        return self.standings.runs

    async def enter(
        self, quiz_id: int, client: ServerConnection, player_id: str | None = None
    ) -> None:
        """Add ``client`` to its quiz's room and send it the newest snapshot; a player's
        connection (``player_id``) then gets its standing too."""
        partition = (await self._quizzes.get(quiz_id)).partition
        async with self._subscribing:
            room = self._rooms.get(quiz_id)
            if room is None:
                channel = self._keys.channel(partition, quiz_id)
                room = self._rooms[quiz_id] = Room(quiz_id, partition, channel)
                await self._listener.subscribe(channel)
            room.entering += 1
        try:
            boards = await self._last_boards(quiz_id)
            await client.send(boards.message)
            if boards.teams is not None:
                await client.send(boards.teams[0])
            room.clients.add(client)
            if not room.live.read:
                last = await replay(self._redis, self._keys, partition, quiz_id)
                if not room.live.read:  # no message came while reading
                    room.live.seed(last)
        finally:
            room.entering -= 1
        if room.message is not None and room.version > boards.version:
            await client.send(room.message)  # one went out while we were reading
        if room.teams is not None and (boards.teams is None or room.teams[1] > boards.teams[1]):
            await client.send(room.teams[0])
        if (question := room.live.open_question()) is not None:
            await client.send(question)
        if self._feed_lost:
            await client.send(FEED_LOST.decode())
        if player_id is not None:
            room.watchers.enter(client, player_id)
            self.standings.entered(quiz_id, room.partition, room.watchers)

    async def leave(self, quiz_id: int, client: ServerConnection) -> None:
        """Remove ``client``; drop the room and its subscription once it is empty."""
        async with self._subscribing:
            room = self._rooms.get(quiz_id)
            if room is None:
                return
            room.clients.discard(client)
            room.watchers.leave(client)
            if not room.clients and not room.entering:
                del self._rooms[quiz_id]
                # If Redis is down, the reconnect subscribes only to rooms that exist.
                with contextlib.suppress(*REDIS_DOWN):
                    await self._listener.unsubscribe(room.channel)

    async def run(self) -> None:
        """Read published snapshots and fan them out, reconnecting whenever Redis drops."""
        backoff = Backoff(first=0.1, cap=2.0)
        control = self._keys.channel(0, 0)  # keeps the connection subscribed with no rooms
        try:
            while True:
                try:
                    await self._listener.subscribe(control, *self._channels())
                    await self._resend_all()
                    self._feed(lost=False)
                    backoff.reset()
                    while True:
                        self._deliver(*await self._listener.next_message())
                except REDIS_DOWN as exc:
                    self.feed_losses += 1
                    self._feed(lost=True)
                    log.warning("pub/sub feed lost, subscribing again: %r", exc)
                    await backoff.wait()
                    with contextlib.suppress(*REDIS_DOWN):  # the next round tries again
                        await self._listener.reset()
        finally:
            await self.standings.close()
            await self._listener.aclose()
            for task in self._closing:
                task.cancel()

    def _feed(self, lost: bool) -> None:
        """Tell every room that the feed was lost, or is back: once each way."""
        if lost == self._feed_lost:
            return
        self._feed_lost = lost
        frame = text_frame(FEED_LOST if lost else FEED_BACK)
        for room in self._rooms.values():
            self._fan_out(room, frame)

    def _channels(self) -> list[str]:
        return [room.channel for room in self._rooms.values()]

    def _deliver(self, channel: bytes, data: bytes) -> None:
        quiz_id = int(channel.rsplit(b":", 1)[1])
        room = self._rooms.get(quiz_id)
        if room is None:
            return
        read = header(data)
        if read is None:
            log.warning("dropped a message on %r that is not JSON: %r", channel, data[:100])
            return
        message, head = read
        if head.type == TEAM_BOARD_TYPE:
            self._teams(room, message, head.version)
            return
        if head.type != SNAPSHOT_TYPE:
            self._live(room, head.type, message, data)
            return
        if head.version <= room.version:
            return  # an older snapshot overtaken by a newer one
        room.version, room.message = head.version, message
        frame = text_frame(message.encode())
        players = room.watchers
        took = self.standings.changed(room.quiz_id, room.partition, players, frame)
        # When the standings' run took the snapshot, it writes it to each player along
        # with its standing, in one write: everyone else gets it now.
        self._fan_out(room, frame, skip=players.players if took else ())

    def _teams(self, room: Room, message: str, version: int) -> None:
        """A team board: kept and sent, unless a newer one went out already."""
        if room.teams is not None and version <= room.teams[1]:
            return
        room.teams = message, version
        self._broadcast(room, message)

    def _live(self, room: Room, kind: str, message: str, data: bytes) -> None:
        """A live quiz's message, sent at once if the room's view admits it; a message of
        a type this gateway does not know goes out as it came."""
        if kind == REMOVED_TYPE:
            self._removed(room, message, data)
            return
        if kind not in LIVE_TYPES:
            self._broadcast(room, message)
            return
        try:
            live = MESSAGE_DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("dropped a %s message that does not decode: %r", kind, data[:100])
            return
        if room.live.admit(live):
            self._broadcast(room, message)
            if room.live.finished:
                self.standings.finish(room.quiz_id, room.partition, room.watchers)

    def _removed(self, room: Room, message: str, data: bytes) -> None:
        """The host removed a player: close its sockets, and tell the hosts and boards
        (the players see the board without it)."""
        try:
            removal = REMOVED_DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("dropped a removal that does not decode: %r", data[:100])
            return
        self._close_player(room, removal.player_id, removal.reason == "ban")
        self._fan_out(room, text_frame(message.encode()), skip=room.watchers.players)

    async def close_removed(self, quiz_id: int, player_id: str) -> None:
        """Close the sockets of a player the host removed."""
        room = self._rooms.get(quiz_id)
        if room is not None:
            self._close_player(room, player_id, banned=False)

    def _close_player(self, room: Room, player_id: str, banned: bool) -> None:
        said = "banned" if banned else "removed"
        for client, player in list(room.watchers.players.items()):
            if player == player_id:
                closing = asyncio.create_task(
                    client.close(REMOVED_CLOSE_CODE, f"the host {said} you from this quiz")
                )
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)

    def _broadcast(self, room: Room, message: str) -> None:
        self._fan_out(room, text_frame(message.encode()))

    def _fan_out(self, room: Room, frame: bytes, skip: Collection[ServerConnection] = ()) -> None:
        """One frame, built once, to every client of the room but ``skip``; a client
        whose write buffer is past the limit is closed instead."""
        for client in [c for c in room.clients if self._behind(c)]:
            self._close_slow(room, client)
        clients = [c for c in room.clients if c not in skip] if skip else room.clients
        self.messages_sent += write(clients, frame)

    def _send_one(self, quiz_id: int, client: ServerConnection, data: bytes) -> None:
        """The standings' write to one player (one frame or several)."""
        room = self._rooms.get(quiz_id)
        if room is None or client not in room.clients:
            return
        if self._behind(client):
            self._close_slow(room, client)
            return
        self.messages_sent += write((client,), data)

    def _close_slow(self, room: Room, client: ServerConnection) -> None:
        room.clients.discard(client)
        room.watchers.leave(client)
        self.slow_clients_closed += 1
        task = asyncio.create_task(
            client.close(TRY_AGAIN_LATER, "falling behind: reconnect"),
            name=f"close-slow-client-{room.quiz_id}",
        )
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def _behind(self, client: ServerConnection) -> bool:
        transport = client.transport
        return transport is not None and transport.get_write_buffer_size() > self._max_buffer

    async def _resend_all(self) -> None:
        for room in list(self._rooms.values()):
            last = await self._last_boards(room.quiz_id)
            if last.version >= room.version:
                room.version, room.message = last.version, last.message
                self._broadcast(room, last.message)
            if last.teams is not None:
                self._teams(room, *last.teams)
            await self._catch_up(room)
            if room.live.finished:
                room.watchers.finished = True
            self.standings.changed(room.quiz_id, room.partition, room.watchers)

    async def _catch_up(self, room: Room) -> None:
        """After a reconnect: what a live quiz published while the subscription was down."""
        partition = (await self._quizzes.get(room.quiz_id)).partition
        last = await replay(self._redis, self._keys, partition, room.quiz_id)
        for message in room.live.catch_up(last):
            self._broadcast(room, message)

    async def _last_boards(self, quiz_id: int) -> Boards:
        """The stored last snapshot (or one read from the board when none was published)
        and the stored last team board."""
        try:
            partition = (await self._quizzes.get(quiz_id)).partition
        except NotFound:
            return Boards(snapshot_message(empty_snapshot(quiz_id)).decode(), 0)
        quiz = self._keys.quiz(partition, quiz_id)
        stored, stored_teams = await self._redis.mget(quiz.lb_last, quiz.team_last)
        teams = versioned(stored_teams, TEAM_BOARD_TYPE)
        last = versioned(stored)
        if last is not None:
            return Boards(*last, teams)
        snapshot = await read_snapshot(
            self._redis, self._keys, partition, quiz_id, limit=self._top_n
        )
        return Boards(snapshot_message(snapshot).decode(), snapshot.version, teams)
