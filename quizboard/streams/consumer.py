"""A consumer-group reader with manual acks, batching, reclaim and dead letters.

The consumer reads its streams (a worker gives each one partition's stream:
see :mod:`quizboard.streams.worker`) in one XREADGROUP. On
start it re-reads its own pending entries (id ``0``), then new ones (``>``). A
batch closes at ``batch_size`` entries or ``batch_interval_ms`` after its first
entry, whichever comes first, and goes to a :class:`Sink`. Entries are acked
only after the sink has committed them; a sink that applies its effect and the
XACK in one Lua script acks them itself.

While a server is down the consumer retries with backoff and acks nothing: the
stream is the buffer. An entry that a sink rejects is left pending; the
periodic XAUTOCLAIM hands it out again, and once it has been delivered more
than ``max_deliveries`` times it moves to the partition's dead stream, with the
group, the error and the delivery count, and is acked there.

With ``wait_replicas`` (``QUIZBOARD_WAIT_REPLICAS``) every read is followed, on
the same connection, by ``WAIT``: entries go to a sink only once they are on that
many replicas. A master cut off from its replica (or paused) keeps its entries
only until its replica takes over; a worker that read them from it in that time
(a link that heals before the master learns it was replaced) would put into
PostgreSQL answers that the cluster then forgets. Unconfirmed, the entries stay
pending and are read again after a backoff: by then they are on a replica, or gone
with the master that alone had them (and their 503s were their answer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec
import psycopg
import redis.exceptions

from quizboard.core.backoff import Backoff
from quizboard.core.events import FIELD, TRACED_DECODER
from quizboard.core.keys import Keys
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.tracing import Tracing
from quizboard.store.connections import REDIS_TIMEOUT, SERVER_DOWN, Redis, in_time, text
from quizboard.store.pipelines import Call, send_calls
from quizboard.streams.batching import BatchWindow, next_pending_ids, past_saving
from quizboard.streams.entries import Entry, letter_fields

log = logging.getLogger(__name__)

REPLICA_WAIT_MS = 1000
APPLY_LIMIT_S = 15.0  # a batch applies in milliseconds; this long means a lost server

# Errors that say "this entry can never be applied", not "a server is down".
REJECTED: tuple[type[Exception], ...] = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    psycopg.DataError,
    psycopg.IntegrityError,
    redis.exceptions.ResponseError,
    ValueError,
    KeyError,
)

MAX_REMEMBERED_ERRORS = 10_000


def group_missing(exc: redis.exceptions.ResponseError) -> bool:
    """Whether ``exc`` says the stream or its consumer group does not exist."""
    return str(exc).startswith("NOGROUP")


class Sink(Protocol):
    """Where a group's batches go."""

    #: True when :meth:`apply` acks its entries itself, atomically with its effect.
    acks: bool

    async def apply(self, group: str, entries: Sequence[Entry]) -> None:
        """Apply ``entries`` all or nothing; raise a :data:`REJECTED` error for bad input."""


@dataclass(frozen=True, slots=True)
class ConsumerConfig:
    """How one consumer reads and batches."""

    group: str
    name: str
    streams: Sequence[str]
    batch_size: int = 1000
    batch_interval_ms: int = 500
    block_ms: int = 1000
    reclaim_idle_ms: int = 30_000
    max_deliveries: int = 5
    wait_replicas: int = 0  # replicas that must hold an entry before it is delivered


def _decode_entries(stream: str, raw: list[tuple[bytes, dict[bytes, bytes] | None]]) -> list[Entry]:
    # An entry deleted while pending comes back with no fields.
    return [Entry(stream, i.decode(), fields or {}) for i, fields in raw]


def _raw_entries(raw: list[Any]) -> list[tuple[bytes, dict[bytes, bytes] | None]]:
    """Entries as Valkey sends them (``[id, [field, value, ...]]``), as redis-py parses them."""
    return [(entry_id, None if fields is None else _pairs(fields)) for entry_id, fields in raw]


def _pairs(fields: list[bytes] | dict[bytes, bytes]) -> dict[bytes, bytes]:
    if isinstance(fields, dict):
        return fields
    return dict(zip(fields[::2], fields[1::2], strict=True))


class Unreplicated(redis.exceptions.TryAgainError):
    """Entries read from a master that has not confirmed them on enough replicas."""


class TurnedReplica(redis.exceptions.ReadOnlyError):
    """A blocked read that its master ended with ``-UNBLOCKED`` on turning replica (a
    failover, or a master back from a partition to find its replica promoted). The
    read took nothing; it is a server going away, to retry, and no bad input."""


def _trace_of(entry: Entry) -> str:
    try:
        return TRACED_DECODER.decode(entry.fields.get(FIELD.encode(), b"{}")).trace
    except msgspec.DecodeError:
        return ""  # a poison entry: its own problem, not the span's


class Consumer:
    """One named consumer of one group over several streams."""

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        config: ConsumerConfig,
        sink: Sink,
        metrics: WorkerMetrics | None = None,
        tracing: Tracing | None = None,
    ) -> None:
        self._tracing = tracing or Tracing()
        self._redis = redis
        self._keys = keys
        self.config = config
        self._sink = sink
        self._metrics = metrics or WorkerMetrics()
        self.started = False
        self._errors: dict[str, str] = {}
        self._next_reclaim = 0.0
        self.acked = 0
        self.dead = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then finish the batch in hand and return."""
        backoff = Backoff()
        grouped = started = False
        while not stop.is_set():
            try:
                if not grouped:
                    await in_time(self._create_groups(), "creating the groups")
                    grouped = True
                if not started:
                    await self._consume_own_pending(stop)
                    started = self.started = True
                batch = await self._collect(stop)
                if batch:
                    await self._deliver(batch, stop)
                await in_time(self._reclaim_if_due(stop), "reclaiming", APPLY_LIMIT_S)
                backoff.reset()
                continue
            except SERVER_DOWN as exc:
                log.warning("group %s: server unreachable, retrying: %r", self.config.group, exc)
                grouped = False  # a server that lost its data lost the groups too
            except redis.exceptions.ResponseError as exc:
                if not group_missing(exc):
                    raise
                # A resharding can answer this while the stream's slot moves. Wait for
                # the group, never make it again: a new group would deliver every entry
                # anew, and the scripts' XACK gate would count each a second time.
                log.warning("group %s: stream or group missing, retrying: %r",
                            self.config.group, exc)  # fmt: skip
            # What was read before the failure is still pending for this consumer:
            # read it again (id 0) before anything new.
            started = False
            self._metrics.retries.labels(self.config.group).inc()
            await backoff.wait()

    async def _create_groups(self) -> None:
        for stream in self.config.streams:
            try:
                await self._redis.xgroup_create(stream, self.config.group, id="0", mkstream=True)
            except redis.exceptions.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _read(self, ids: dict[str, str], count: int, block: int | None) -> list[Entry]:
        """Read ``ids``, timed out :data:`REDIS_TIMEOUT` after its ``block``: the reply of
        a master cut off by the network never comes, and without a timeout a worker
        waited for it until the link healed, long after the master's replica had
        taken its partitions over."""
        try:
            return await asyncio.wait_for(
                self._read_now(ids, count, block), REDIS_TIMEOUT + (block or 0) / 1000
            )
        except TimeoutError:
            raise redis.exceptions.TimeoutError(f"no reply to a read of {list(ids)}") from None
        except redis.exceptions.ResponseError as exc:
            if str(exc).startswith("UNBLOCKED"):
                raise TurnedReplica(str(exc)) from exc
            raise

    async def _read_now(self, ids: dict[str, str], count: int, block: int | None) -> list[Entry]:
        response: Any
        if self.config.wait_replicas:
            command = ["XREADGROUP", "GROUP", self.config.group, self.config.name,
                       "COUNT", count]  # fmt: skip
            if block is not None:
                command += ["BLOCK", block]
            command += ["STREAMS", *ids, *ids.values()]
            history = any(i != ">" for i in ids.values())
            reply = await self._replicated(next(iter(ids)), command, history) or []
            by_stream = reply.items() if isinstance(reply, dict) else reply  # RESP3: a map
            response = [(stream, _raw_entries(raw)) for stream, raw in by_stream]
        else:
            streams: dict[Any, Any] = dict(ids)
            response = await self._redis.xreadgroup(
                self.config.group, self.config.name, streams, count=count, block=block
            )
        entries: list[Entry] = []
        for stream, raw in response or []:
            entries.extend(_decode_entries(text(stream), raw))
        return entries

    async def _replicated(self, key: str, command: Sequence[Any], history: bool = False) -> Any:
        """``command``'s reply, once ``WAIT`` on the same connection says that what it
        read is on ``wait_replicas`` replicas; raises :class:`Unreplicated` if not.

        WAIT confirms the writes of its own connection: a read of new entries (``>``)
        or a claim is one (it moves entries into the pending list, and that goes to the
        replicas after the entries). A read of the pending list (``history``) writes
        nothing, so WAIT would confirm only what the connection wrote before, if
        anything (a new connection: nothing, and any replica online would do, one
        that has not yet received the entries too). A write after the read, a mark
        that expires, makes WAIT cover everything the master held when it was read.
        """
        wait = ("WAIT", self.config.wait_replicas, REPLICA_WAIT_MS)
        calls = [Call(key, tuple(command))]
        if history:
            calls.append(Call(key, ("SET", f"{key}:replicated", self.config.name, "PX", 60_000)))
        sent, *marked = await send_calls(self._redis, calls, [wait])
        for outcome in (sent, *marked):
            if isinstance(outcome.reply, BaseException):
                raise outcome.reply
        confirmed = (sent.trailer or [None])[0]
        if isinstance(confirmed, Exception) or int(confirmed or 0) < self.config.wait_replicas:
            raise Unreplicated(
                f"{key}: entries read are on {confirmed!r} of "
                f"{self.config.wait_replicas} replicas; reading them again later"
            )
        return sent.reply

    async def _consume_own_pending(self, stop: asyncio.Event) -> None:
        """Deliver what this consumer read before a crash and never acked."""
        ids = dict.fromkeys(self.config.streams, "0")
        while ids and not stop.is_set():
            entries = await self._read(ids, self.config.batch_size, None)
            if not entries:
                return
            ids = next_pending_ids(ids, entries)
            log.info("group %s: re-delivering %d pending entries", self.config.group, len(entries))
            await self._deliver([e for e in entries if e.fields], stop)

    async def _collect(self, stop: asyncio.Event) -> list[Entry]:
        """Read new entries until the batch is full or its interval has passed."""
        ids = dict.fromkeys(self.config.streams, ">")
        window = BatchWindow(
            self.config.batch_size, self.config.batch_interval_ms / 1000, self.config.block_ms
        )
        batch: list[Entry] = []
        while not stop.is_set():
            block = window.next_block_ms(time.monotonic())
            if block is None:
                break
            entries = await self._read(ids, window.room(), block)
            if not entries and not batch:
                break  # idle: let the caller reclaim and look at ``stop``
            window.received(len(entries), time.monotonic())
            batch.extend(entries)
        return batch

    async def _deliver(self, batch: Sequence[Entry], stop: asyncio.Event) -> None:
        """Apply and ack ``batch``, retrying while a server is down.

        If the sink rejects the batch, each entry is tried alone so that one bad
        entry holds back only itself; a rejected entry stays pending.
        """
        backoff = Backoff()
        while True:
            try:
                await self._apply_in_time(batch)
                return
            except SERVER_DOWN as exc:
                if stop.is_set():
                    log.warning("group %s: stopping with %d entries unacked (%r); they stay"
                                " pending", self.config.group, len(batch), exc)  # fmt: skip
                    return
                log.warning("group %s: sink unavailable, retrying: %r", self.config.group, exc)
                self._metrics.retries.labels(self.config.group).inc()
                await backoff.wait()
            except REJECTED as exc:
                if len(batch) == 1:
                    self._remember_error(batch[0], exc)
                    return
                for entry in batch:
                    await self._deliver([entry], stop)
                return

    async def _apply_in_time(self, batch: Sequence[Entry]) -> None:
        """:meth:`_apply` within :data:`APPLY_LIMIT_S`. A worker's Redis client has no
        socket timeout (its reads block), so a write to a master cut off by the network
        (an XACK, a script) would wait for a reply that never comes."""
        await in_time(self._apply(batch), f"applying a batch of {len(batch)}", APPLY_LIMIT_S)

    async def _apply(self, batch: Sequence[Entry]) -> None:
        started = time.perf_counter()
        if self._tracing.enabled:
            parents = [_trace_of(e) for e in batch]
            with self._tracing.span(f"{self.config.group} batch", parents, entries=len(batch)):
                await self._sink.apply(self.config.group, batch)
        else:
            await self._sink.apply(self.config.group, batch)
        if not self._sink.acks:
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream in {e.stream for e in batch}:
                    pipe.xack(
                        stream, self.config.group, *[e.id for e in batch if e.stream == stream]
                    )
                await pipe.execute()
        self.acked += len(batch)
        group = self.config.group
        self._metrics.batch_size.labels(group).observe(len(batch))
        self._metrics.flush_seconds.labels(group).observe(time.perf_counter() - started)
        self._metrics.acked.labels(group).inc(len(batch))

    def _remember_error(self, entry: Entry, exc: Exception) -> None:
        log.warning(
            "group %s: entry %s %s rejected: %r", self.config.group, entry.stream, entry.id, exc,
            extra={"group": self.config.group, "stream": entry.stream},
        )  # fmt: skip
        if len(self._errors) >= MAX_REMEMBERED_ERRORS:
            self._errors.pop(next(iter(self._errors)))
        self._errors[entry.id] = f"{type(exc).__name__}: {exc}"

    async def _reclaim_if_due(self, stop: asyncio.Event) -> None:
        now = time.monotonic()
        if now < self._next_reclaim:
            return
        self._next_reclaim = now + max(0.1, self.config.reclaim_idle_ms / 2000)
        for stream in self.config.streams:
            await self._reclaim(stream, stop)

    async def _reclaim(self, stream: str, stop: asyncio.Event) -> None:
        """Take over entries idle past the reclaim time; dead-letter the hopeless ones."""
        start = "0-0"
        while not stop.is_set():
            try:
                response = await asyncio.wait_for(self._autoclaim(stream, start), REDIS_TIMEOUT)
            except TimeoutError:
                raise redis.exceptions.TimeoutError(f"no reply to XAUTOCLAIM {stream}") from None
            start = text(response[0])
            entries = [e for e in _decode_entries(stream, response[1]) if e.fields]
            if entries:
                deliveries = await self._delivery_counts(stream, [e.id for e in entries])
                hopeless, retry = past_saving(entries, deliveries, self.config.max_deliveries)
                for entry in hopeless:
                    await self._dead_letter(entry, deliveries[entry.id])
                if retry:
                    log.info("group %s: reclaimed %d entries", self.config.group, len(retry))
                    self._metrics.reclaimed.labels(self.config.group).inc(len(retry))
                    await self._deliver(retry, stop)
            if start == "0-0":
                return

    async def _autoclaim(self, stream: str, start: str) -> Any:
        if not self.config.wait_replicas:
            return await self._redis.xautoclaim(
                stream, self.config.group, self.config.name, self.config.reclaim_idle_ms,
                start_id=start, count=self.config.batch_size,
            )  # fmt: skip
        command = ("XAUTOCLAIM", stream, self.config.group, self.config.name,
                   self.config.reclaim_idle_ms, start, "COUNT", self.config.batch_size)  # fmt: skip
        reply = await self._replicated(stream, command)
        return [reply[0], _raw_entries(reply[1])]

    async def _delivery_counts(self, stream: str, ids: Sequence[str]) -> dict[str, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for entry_id in ids:
                pipe.xpending_range(stream, self.config.group, entry_id, entry_id, 1)
            results = await pipe.execute()
        counts: dict[str, int] = {}
        for rows in results:
            for row in rows:
                counts[text(row["message_id"])] = int(row["times_delivered"])
        return counts

    async def _dead_letter(self, entry: Entry, deliveries: int) -> None:
        """Move ``entry`` to its partition's dead stream and ack it, in one MULTI."""
        dead = self._keys.dead(self._keys.partition_of_stream(entry.stream))
        error = self._errors.pop(entry.id, "delivered too many times")
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(dead, letter_fields(self.config.group, entry, error, deliveries))
            pipe.xack(entry.stream, self.config.group, entry.id)
            await pipe.execute()
        self.dead += 1
        self._metrics.dead.labels(self.config.group).inc()
        log.error(
            "group %s: entry %s %s moved to %s after %d deliveries: %s",
            self.config.group, entry.stream, entry.id, dead, deliveries, error,
            extra={"group": self.config.group, "stream": entry.stream},
        )  # fmt: skip
