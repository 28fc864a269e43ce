"""Accepting events: the API's only writes, each an XADD to its partition's stream.

Every join and answer goes through the accepting script of
:mod:`quizboard.store.accept`, one call per partition.

A Redis round trip awaited per request costs the API about three times the
CPU of the HTTP request itself. So by default the intake coalesces: requests
that arrive while a flush is in flight queue up, and the next flush sends them
all in one pipeline, one script call per partition. There is no timer: an idle
intake flushes a lone request at once. Each request still gets its own result.
``coalesce=False`` sends each request on its own, so the gain can be measured.

On a cluster each master has a lane of its own: its queue and its flusher. A
master that is slow or cut off then holds up only the requests for its own
partitions, never the next flush to the others (one flusher for all waited for
every master's reply, up to the 5 s timeout, before sending anything more).

Each flusher is supervised: an error reaching its loop (a bug: a server's error
is the error of the requests of that flush) fails the requests it had in hand,
is logged and counted (``quizboard_intake_flusher_restarts``), and the loop
starts again, so no request ever waits for a flusher that is gone. On shutdown
every request still waiting gets :class:`Unavailable`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from types import TracebackType
from typing import Any, Self

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import SlotNotCoveredError

from quizboard.core.errors import Unavailable
from quizboard.core.events import AnswerEvent, JoinEvent
from quizboard.core.keys import Keys
from quizboard.core.tasks import stop_task
from quizboard.observe.metrics import ApiMetrics
from quizboard.store.accept import (
    ACCEPT,
    Joined,
    Limits,
    LiveAnswer,
    LiveVerdict,
    Pending,
    Result,
    accept_call,
    parse_result,
)
from quizboard.store.connections import Redis, text
from quizboard.store.pipelines import Call, send_calls

log = logging.getLogger(__name__)

WAIT_TIMEOUT_MS = 1000
WAITAOF = ("WAITAOF", 1, 0, WAIT_TIMEOUT_MS)  # the local fsync of everything written before it

_Waiting = list[tuple[Pending, asyncio.Future[Result]]]
ONE_LANE = ""  # one Valkey's lane, and a cluster's for a slot no master is known for yet


class _Lane:
    """One master's requests: those queued, those in hand (being sent), and the task
    that flushes them."""

    def __init__(self) -> None:
        self.queue: _Waiting = []
        self.in_hand: _Waiting = []
        self.wakeup = asyncio.Event()
        self.flusher: asyncio.Task[None] | None = None


class Intake:
    """Puts accepted joins and answers into the streams.

    Use it as an async context manager: when coalescing, it owns the tasks that
    flush queued requests, one per master.
    """

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        *,
        wait_aof: bool = False,
        wait_replicas: int = 0,
        coalesce: bool = True,
        limits: Limits | None = None,
        metrics: ApiMetrics | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._wait_aof = wait_aof
        self._wait_replicas = wait_replicas
        self._trailer: list[tuple[Any, ...]] = []
        if wait_aof:
            self._trailer.append(WAITAOF)
        if wait_replicas:
            self._trailer.append(("WAIT", wait_replicas, WAIT_TIMEOUT_MS))
        self._coalesce = coalesce
        self._limits = limits or Limits()
        self._metrics = metrics or ApiMetrics()
        self._lanes: dict[str, _Lane] = {}
        self._slots: dict[int, int] = {}  # a partition's slot, which never changes
        self._open = False
        self._closed = False

    async def __aenter__(self) -> Self:
        self._open = self._coalesce
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closed = True
        lanes, self._lanes = list(self._lanes.values()), {}
        for lane in lanes:
            await stop_task(lane.flusher)
        # The server drains its requests before its lifespan ends, so this is rare: a
        # request still here may have been sent, and is told to retry (a retried
        # answer then gets 409 if its first copy went in).
        for lane in lanes:
            _resolve(lane.in_hand + lane.queue, Unavailable("the API is shutting down; retry"))

    async def join(
        self, partition: int, event: JoinEvent, address: str, *, late_join: bool = True,
        team_count: int = 0,
    ) -> Joined:  # fmt: skip
        """Append a join event unless this player had joined before; say which, and the
        player's team in a team quiz. Raises :class:`RateLimited`, and what the room
        refuses (a ban, a locked lobby, a late join to a live quiz that takes none)."""
        pending = Pending(partition, event, address, late_join=late_join, team_count=team_count)
        return Joined.read(await self._submit(pending) or "")

    async def answer(
        self, partition: int, event: AnswerEvent, keep_until_ms: int, address: str
    ) -> str | None:
        """Append an answer event unless this player answered this question before.

        Returns the entry id (the answer's ``event_id``), or ``None`` for a repeat.
        The answered-marks live until ``keep_until_ms``, after the quiz has ended.
        Raises :class:`RateLimited` when the player or the address sends too fast.
        """
        return await self._submit(Pending(partition, event, address, keep_until_ms))

    async def live_answer(
        self, partition: int, answer: LiveAnswer, keep_until_ms: int, address: str
    ) -> LiveVerdict | None:
        """Append a live answer if its question is open and this player has not answered
        it; its verdict, or ``None`` for a repeat.

        Raises :class:`Conflict` (``question_closed``, ``question_not_open``) and
        :class:`RateLimited`.
        """
        reply = await self._submit(Pending(partition, answer, address, keep_until_ms))
        if reply is None:
            return None
        return LiveVerdict.read(reply)

    async def _submit(self, request: Pending) -> str | None:
        if self._closed:
            raise Unavailable("the API is shutting down; retry")
        if not self._open:
            result = (await self._send([request]))[0]
        else:
            future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
            lane = self._lane(request.partition)
            lane.queue.append((request, future))
            lane.wakeup.set()
            result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    def _lane(self, partition: int) -> _Lane:
        """The lane of the master that holds ``partition``, its flusher started."""
        name = self._master_of(partition)
        lane = self._lanes.get(name)
        if lane is None:
            lane = self._lanes[name] = _Lane()
            lane.flusher = asyncio.create_task(self._supervise(lane), name=f"intake {name}")
        return lane

    def _master_of(self, partition: int) -> str:
        if not isinstance(self._redis, RedisCluster):
            return ONE_LANE
        slot = self._slots.get(partition)
        if slot is None:
            slot = self._slots[partition] = self._redis.keyslot(self._keys.tag(partition))
        try:
            return str(self._redis.nodes_manager.get_node_from_slot(slot).name)
        except SlotNotCoveredError:  # a failover under way: the flush finds out
            return ONE_LANE

    async def _supervise(self, lane: _Lane) -> None:
        """Run a lane's flush loop; if it dies, fail its batch in hand, count it, and
        start again."""
        while True:
            try:
                await self._flush_forever(lane)
            except Exception as exc:  # the one supervising level of a flusher
                log.exception("the intake's flusher failed; restarting it", exc_info=exc)
                self._metrics.intake_restarts.inc()
                _resolve(lane.in_hand, exc)
                lane.in_hand = []

    async def _flush_forever(self, lane: _Lane) -> None:
        while True:
            await lane.wakeup.wait()
            lane.wakeup.clear()
            while lane.queue:
                lane.in_hand, lane.queue = lane.queue, []
                try:
                    results = await self._send([request for request, _ in lane.in_hand])
                except Exception as exc:  # every waiting request gets the error as its own
                    results = [exc] * len(lane.in_hand)
                for (_, future), result in zip(lane.in_hand, results, strict=True):
                    if not future.done():  # the request may have been cancelled
                        future.set_result(result)
                lane.in_hand = []

    async def _send(self, requests: list[Pending]) -> list[Result]:
        """One round trip for ``requests``; the result of each, in order."""
        by_partition: dict[int, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            by_partition[request.partition].append(index)
        calls = [
            (indexes, *accept_call(self._keys, self._limits, p, [requests[i] for i in indexes]))
            for p, indexes in by_partition.items()
        ]
        # EVAL, not EVALSHA: no NOSCRIPT to recover from after Valkey restarts. Each
        # partition's call goes to the node that holds it; the trailer ends each node's write.
        sent = await send_calls(
            self._redis,
            [Call(keys[0], ("EVAL", ACCEPT, len(keys), *keys, *args)) for _, keys, args in calls],
            self._trailer,
        )
        results: list[Result] = [None] * len(requests)
        for (indexes, _, _), outcome in zip(calls, sent, strict=True):
            reply = outcome.reply
            if not isinstance(reply, BaseException):
                reply = unconfirmed(outcome.trailer or [], self._wait_aof, self._wait_replicas)
            if reply is not None:  # an error of this call is the error of its requests only
                for index in indexes:
                    results[index] = reply
                continue
            for index, value in zip(indexes, outcome.reply, strict=True):
                results[index] = parse_result(text(value))
        return results


def _resolve(waiting: _Waiting, error: BaseException) -> None:
    """Give every request still waiting in ``waiting`` the ``error``."""
    for _, future in waiting:
        if not future.done():
            future.set_result(error)


def unconfirmed(trailer: list[Any], wait_aof: bool, wait_replicas: int) -> Unavailable | None:
    """:class:`Unavailable` unless the trailer's replies confirm what was asked: WAITAOF's
    local fsync, WAIT's ``wait_replicas`` replicas.

    A timeout passed, the AOF is off, or too few replicas answered: the events are
    in the stream, but a 202 would promise more than is known. The requests get
    503, and a retried answer then finds its first copy (409).
    """
    replies = iter(trailer)
    if wait_aof:
        reply = next(replies, None)
        if isinstance(reply, Exception) or reply is None or int(reply[0]) < 1:
            log.warning("WAITAOF did not confirm the fsync of accepted events: %r", reply)
            return Unavailable("the events were not confirmed on disk in time; retry")
    if wait_replicas:
        reply = next(replies, None)
        if isinstance(reply, Exception) or reply is None or int(reply) < wait_replicas:
            log.warning("WAIT: %r of %d replicas confirmed accepted events", reply, wait_replicas)
            return Unavailable("the events were not confirmed on the replicas in time; retry")
    return None
