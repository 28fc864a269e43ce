"""Rooms: the clients watching one quiz, and the pub/sub subscriptions that feed them.

One sharded subscription (SSUBSCRIBE) per quiz with at least one client, on
one pub/sub connection per process (per node of a cluster: see
:mod:`quizboard.store.shard_pubsub`); the channel is dropped when its room
empties. Each
published snapshot is fanned out with :func:`websockets.broadcast`, which
writes to every socket without waiting. That is what we want for a live
board, but a client that stops reading would then buffer without bound, so a
client whose write buffer passes ``max_buffer`` is closed with 1013 instead of
being silently starved or slowing the others.

When Redis goes away the reader reconnects with backoff, subscribes again to
every room's channel and sends each room its last snapshot, so no client keeps
a stale board, and what a live quiz published meanwhile (see :meth:`Rooms._catch_up`).

A live quiz's messages (``question``, ``question_results``, ``quiz_finished``)
come on the same channel and go out as they come: they have no version and no
throttle. Each goes out once: after a reconnect the catch-up may send one before
the subscription delivers it, and a question older than the room's last is
stale. The room keeps the open question, so a client that enters
mid-question gets the snapshot, then the question, with ``server_time`` set to
when it is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

import msgspec
import websockets
from websockets.asyncio.server import ServerConnection

from quizboard.core.backoff import Backoff
from quizboard.core.errors import NotFound
from quizboard.core.keys import Keys
from quizboard.core.leaderboard import SNAPSHOT_TYPE, empty_snapshot, snapshot_message
from quizboard.core.live import (
    ENCODER,
    LIVE_TYPES,
    MESSAGE_DECODER,
    QuestionMessage,
    QuestionResults,
)
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import REDIS_DOWN, Redis
from quizboard.store.leaderboard import read_snapshot
from quizboard.store.live import replay
from quizboard.store.shard_pubsub import shard_listener

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = 1013


class _Header(msgspec.Struct):
    type: str = ""
    version: int = 0


HEADER_DECODER = msgspec.json.Decoder(_Header)


def header(data: bytes) -> tuple[str, _Header] | None:
    """A message's text, type and version; ``None`` for anything that is not JSON."""
    try:
        return data.decode(), HEADER_DECODER.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
        return None


def versioned(data: bytes) -> tuple[str, int] | None:
    """A snapshot's text and version; ``None`` for anything that is not a snapshot."""
    read = header(data)
    if read is None or read[1].type != SNAPSHOT_TYPE:
        return None
    return read[0], read[1].version


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class Room:
    """The clients of one quiz and the newest snapshot they were sent."""

    quiz_id: int
    channel: str
    clients: set[ServerConnection] = field(default_factory=set)
    version: int = -1
    message: str | None = None
    entering: int = 0  # clients on their way in: the room must outlive their first snapshot
    question: QuestionMessage | None = None  # a live quiz's open question
    question_read: bool = False  # whether the open question was read from Redis yet
    question_position: int = 0  # the position of the last question the room knows of
    results_for: int | None = None  # the question whose results the room was sent last
    finished: bool = False  # whether the room knows its live quiz has finished


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
        self.slow_clients_closed = 0
        self.messages_sent = 0
        self.feed_losses = 0

    @property
    def connections(self) -> int:
        return sum(len(room.clients) for room in self._rooms.values())

    @property
    def count(self) -> int:
        return len(self._rooms)

    async def enter(self, quiz_id: int, client: ServerConnection) -> None:
        """Add ``client`` to its quiz's room and send it the newest snapshot."""
        partition = (await self._quizzes.get(quiz_id)).partition
        async with self._subscribing:
            room = self._rooms.get(quiz_id)
            if room is None:
                channel = self._keys.channel(partition, quiz_id)
                room = self._rooms[quiz_id] = Room(quiz_id, channel)
                await self._listener.subscribe(channel)
            room.entering += 1
        try:
            message, version = await self._last_snapshot(quiz_id)
            await client.send(message)
            room.clients.add(client)
            if not room.question_read:
                last = await replay(self._redis, self._keys, partition, quiz_id)
                if not room.question_read:  # no message came while reading
                    room.question, room.question_read = last.question, True
                    room.finished = last.finished is not None
                    # What the quiz showed before the room opened is not the room's to
                    # catch up on after a reconnect.
                    shown = last.question or last.closed
                    room.question_position = shown.question.position if shown else 0
                    room.results_for = last.results.question_id if last.results else None
        finally:
            room.entering -= 1
        if room.message is not None and room.version > version:
            await client.send(room.message)  # one went out while we were reading
        if room.question is not None and room.question.closes_at > now_ms():
            await client.send(_resent(room.question))

    async def leave(self, quiz_id: int, client: ServerConnection) -> None:
        """Remove ``client``; drop the room and its subscription once it is empty."""
        async with self._subscribing:
            room = self._rooms.get(quiz_id)
            if room is None:
                return
            room.clients.discard(client)
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
                    backoff.reset()
                    while True:
                        self._deliver(*await self._listener.next_message())
                except REDIS_DOWN as exc:
                    self.feed_losses += 1
                    log.warning("pub/sub feed lost, subscribing again: %r", exc)
                    await backoff.wait()
                    with contextlib.suppress(*REDIS_DOWN):  # the next round tries again
                        await self._listener.reset()
        finally:
            await self._listener.aclose()
            for task in self._closing:
                task.cancel()

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
        if head.type != SNAPSHOT_TYPE:
            self._live(room, head.type, message, data)
            return
        if head.version <= room.version:
            return  # an older snapshot overtaken by a newer one
        room.version, room.message = head.version, message
        self._broadcast(room, message)

    def _live(self, room: Room, kind: str, message: str, data: bytes) -> None:
        """A live quiz's message, sent at once unless the room has had it (the catch-up
        after a reconnect may have sent it first). An open question is kept; a message
        of a type this gateway does not know goes out as it came."""
        if kind not in LIVE_TYPES:
            self._broadcast(room, message)
            return
        try:
            live = MESSAGE_DECODER.decode(data)
        except msgspec.DecodeError:
            log.warning("dropped a %s message that does not decode: %r", kind, data[:100])
            return
        room.question_read = True
        if isinstance(live, QuestionMessage):
            if live.question.position <= room.question_position:
                return  # had, or overtaken by a later question
            room.question, room.question_position = live, live.question.position
        elif isinstance(live, QuestionResults):
            if room.question is not None and room.question.question.id == live.question_id:
                room.question = None
            if room.results_for == live.question_id:
                return
            room.results_for = live.question_id
        else:
            room.question = None
            if room.finished:
                return
            room.finished = True
        self._broadcast(room, message)

    def _broadcast(self, room: Room, message: str) -> None:
        for client in [c for c in room.clients if self._behind(c)]:
            room.clients.discard(client)
            self.slow_clients_closed += 1
            task = asyncio.create_task(
                client.close(TRY_AGAIN_LATER, "falling behind: reconnect"),
                name=f"close-slow-client-{room.quiz_id}",
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        websockets.broadcast(room.clients, message)
        self.messages_sent += len(room.clients)

    def _behind(self, client: ServerConnection) -> bool:
        transport = client.transport
        return transport is not None and transport.get_write_buffer_size() > self._max_buffer

    async def _resend_all(self) -> None:
        for room in list(self._rooms.values()):
            message, version = await self._last_snapshot(room.quiz_id)
            if version >= room.version:
                room.version, room.message = version, message
                self._broadcast(room, message)
            await self._catch_up(room)

    async def _catch_up(self, room: Room) -> None:
        """After a reconnect: what a live quiz published while the subscription was down.
        A question that opened is sent. A question that closed gets its results, after
        the question itself if the room missed its opening too (clients then show it
        closed). A quiz that finished gets its end."""
        partition = (await self._quizzes.get(room.quiz_id)).partition
        last = await replay(self._redis, self._keys, partition, room.quiz_id)
        was = room.question
        room.question, room.question_read = last.question, True
        if last.question is not None:
            if was is None or was.question.id != last.question.question.id:
                room.question_position = last.question.question.position
                self._broadcast(room, _resent(last.question))
            return
        results, closed = last.results, last.closed
        if results is not None and results.question_id != room.results_for:
            shown = was is not None and was.question.id == results.question_id
            missed = closed is not None and closed.question.position > room.question_position
            if closed is not None and missed:
                room.question_position = closed.question.position
                self._broadcast(room, _resent(closed))
            if shown or missed:
                room.results_for = results.question_id
                self._broadcast(room, ENCODER.encode(results).decode())
        if last.finished is not None and not room.finished:
            room.finished = True
            self._broadcast(room, ENCODER.encode(last.finished).decode())

    async def _last_snapshot(self, quiz_id: int) -> tuple[str, int]:
        """The stored last snapshot, or one read from the board when none was published."""
        try:
            partition = (await self._quizzes.get(quiz_id)).partition
        except NotFound:
            partition = None
        if partition is None:
            return snapshot_message(empty_snapshot(quiz_id)).decode(), 0
        stored = await self._redis.get(self._keys.quiz(partition, quiz_id).lb_last)
        last = versioned(stored) if isinstance(stored, bytes) else None
        if last is not None:
            return last
        snapshot = await read_snapshot(
            self._redis, self._keys, partition, quiz_id, limit=self._top_n
        )
        return snapshot_message(snapshot).decode(), snapshot.version


def _resent(question: QuestionMessage) -> str:
    """An open question sent again, its ``server_time`` now."""
    return ENCODER.encode(msgspec.structs.replace(question, server_time=now_ms())).decode()
