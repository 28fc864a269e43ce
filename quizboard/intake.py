"""Accepting events: the API's only writes, each an XADD to its partition's stream.

An answer is accepted at most once per player and question: a Lua script
checks and marks ``player:question`` and XADDs the event, so there is no window
in which two requests can both pass the check.

A Redis round trip awaited per request costs the API about three times the
CPU of the HTTP request itself. So by default the intake coalesces: requests
that arrive while a flush is in flight queue up, and the next flush sends them
all in one pipeline, with one script call per partition for the answers. There
is no timer: an idle intake flushes a lone request at once. Each request still
gets its own result. ``coalesce=False`` sends each request on its own, so the
gain can be measured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from quizboard.connections import Redis, text
from quizboard.events import ENCODER, FIELD, AnswerEvent, JoinEvent
from quizboard.keys import ANSWERS, JOINS, Keys

log = logging.getLogger(__name__)

# KEYS: the answers stream, then the answered-marks hashes.
# ARGV: per answer: hash number (1-based among KEYS[2..]), player:question, event,
# expire-at (ms). Returns per answer the new entry id, or "" for a repeat.
ACCEPT_ANSWERS = """
local ids = {}
for i = 1, #ARGV, 4 do
    local marks = KEYS[1 + tonumber(ARGV[i])]
    if redis.call('HEXISTS', marks, ARGV[i + 1]) == 1 then
        ids[#ids + 1] = ''
    else
        local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[i + 2])
        redis.call('HSET', marks, ARGV[i + 1], id)
        redis.call('PEXPIREAT', marks, ARGV[i + 3])
        ids[#ids + 1] = id
    end
end
return ids
"""


@dataclass(frozen=True, slots=True)
class _Answer:
    partition: int
    event: AnswerEvent
    keep_until_ms: int


@dataclass(frozen=True, slots=True)
class _Join:
    partition: int
    event: JoinEvent


_Request = _Answer | _Join


class Intake:
    """Puts accepted joins and answers into the streams.

    Use it as an async context manager: when coalescing, it owns the task that
    flushes queued requests.
    """

    def __init__(
        self, redis: Redis, keys: Keys, *, wait_aof: bool = False, coalesce: bool = True
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._wait_aof = wait_aof
        self._coalesce = coalesce
        self._accept = redis.register_script(ACCEPT_ANSWERS)
        self._queue: list[tuple[_Request, asyncio.Future[str | None]]] = []
        self._wakeup = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self.flushes = 0

    async def __aenter__(self) -> Self:
        if self._coalesce:
            self._flusher = asyncio.create_task(self._flush_forever(), name="intake-flusher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def join(self, partition: int, event: JoinEvent) -> str:
        """Append a join event; return its entry id."""
        entry_id = await self._submit(_Join(partition, event))
        assert entry_id is not None
        return entry_id

    async def answer(self, partition: int, event: AnswerEvent, keep_until_ms: int) -> str | None:
        """Append an answer event unless this player answered this question before.

        Returns the entry id (the answer's ``event_id``), or ``None`` for a repeat.
        The answered-marks live until ``keep_until_ms``, after the quiz has ended.
        """
        return await self._submit(_Answer(partition, event, keep_until_ms))

    async def _submit(self, request: _Request) -> str | None:
        if self._flusher is None:
            return await self._send_one(request)
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._wakeup.set()
        return await future

    async def _flush_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    results = await self._send([request for request, _ in batch])
                except Exception as exc:  # every waiting request gets the error as its own
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():  # the request may have been cancelled
                        future.set_result(result)

    async def _send_one(self, request: _Request) -> str | None:
        """One request, one awaited command: what coalescing saves."""
        result: str | None
        if isinstance(request, _Join):
            stream = self._keys.stream(request.partition, JOINS)
            result = text(await self._redis.xadd(stream, {FIELD: ENCODER.encode(request.event)}))
        else:
            keys, args = self._answer_call(request.partition, [request])
            result = text((await self._accept(keys=keys, args=args))[0]) or None
        if self._wait_aof:
            await self._redis.execute_command("WAITAOF", 1, 0, 1000)  # type: ignore[no-untyped-call]
        return result

    async def _send(self, requests: list[_Request]) -> list[str | None]:
        """One round trip for ``requests``; the result of each, in order."""
        self.flushes += 1
        answers: dict[int, list[int]] = defaultdict(list)  # partition -> request indexes
        async with self._redis.pipeline(transaction=False) as pipe:
            calls: list[tuple[str, Any]] = []
            for index, request in enumerate(requests):
                if isinstance(request, _Join):
                    stream = self._keys.stream(request.partition, JOINS)
                    pipe.xadd(stream, {FIELD: ENCODER.encode(request.event)})
                    calls.append(("join", index))
                else:
                    answers[request.partition].append(index)
            for partition, indexes in answers.items():
                keys, args = self._answer_call(partition, [requests[i] for i in indexes])
                # EVAL, not EVALSHA: a pipeline holding a registered script asks
                # SCRIPT EXISTS on every execute, a second round trip per flush.
                pipe.eval(ACCEPT_ANSWERS, len(keys), *keys, *args)
                calls.append(("answers", indexes))
            if self._wait_aof:
                pipe.execute_command("WAITAOF", 1, 0, 1000)
            replies = await pipe.execute()
        results: list[str | None] = [None] * len(requests)
        for (kind, where), reply in zip(calls, replies, strict=False):
            if kind == "join":
                results[where] = text(reply)
            else:
                for index, entry_id in zip(where, reply, strict=True):
                    results[index] = text(entry_id) or None
        return results

    def _answer_call(self, partition: int, requests: list[_Request]) -> tuple[list[str], list[Any]]:
        keys = [self._keys.stream(partition, ANSWERS)]
        marks: dict[str, int] = {}
        args: list[Any] = []
        for request in requests:
            assert isinstance(request, _Answer)
            event = request.event
            key = self._keys.answered(partition, event.quiz_id)
            number = marks.setdefault(key, len(marks) + 1)
            args += [number, f"{event.player_id}:{event.question_id}", ENCODER.encode(event),
                     request.keep_until_ms]  # fmt: skip
        keys += list(marks)
        return keys, args
