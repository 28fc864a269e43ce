"""A TCP relay on a thread of its own, optionally as slow and lossy as a bad network.

It listens on one address and forwards each connection to a target, both ways.
The fault tests use it plain, to let processes in a network namespace reach a
server that listens on the root namespace's loopback only. ``scripts/slownet.py``
uses it impaired: this machine's kernel has no ``sch_netem``, so the relay holds
each chunk it forwards as a ``tc netem`` qdisc would hold the packets that carry it:

- toward the target, each chunk waits ``delay`` ± ``jitter`` (uniform), as netem's
  delay on the client's interface does (a round trip takes that much longer);
- in either direction, a ``loss`` share of the chunks waits a retransmission
  timeout more (200 ms, Linux's least), which is what TCP makes of a lost segment:
  the bytes behind it wait too;
- bytes leave in the order they came. TCP hands a reordered stream over in order,
  so reordering shows only as the jitter's spread.

The impairment is read for each chunk: a run may change it between phases without
reconnecting anything.
"""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass, field
from types import TracebackType

RTO_S = 0.2  # Linux's minimum retransmission timeout
CHUNK = 65_536


@dataclass
class Impairment:
    """How long a link holds what crosses it."""

    delay_s: float = 0.0
    jitter_s: float = 0.0
    loss: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    def hold(self, outbound: bool) -> float:
        """Seconds to hold one chunk going toward the target (``outbound``) or back."""
        held = 0.0
        if outbound and self.delay_s:
            spread = self.rng.uniform(-self.jitter_s, self.jitter_s)
            held = max(0.0, self.delay_s + spread)
        if self.loss and self.rng.random() < self.loss:
            held += RTO_S  # sent again a retransmission timeout after its first try
        return held

    def describe(self) -> str:
        if not (self.delay_s or self.loss):
            return "clean"
        return f"{self.delay_s * 1000:.0f} ± {self.jitter_s * 1000:.0f} ms, {self.loss:.0%} loss"


class Relay:
    """Connections to ``listen`` (port 0: a free one, then :attr:`port`) forwarded to
    ``target`` until the ``with`` block ends."""

    def __init__(
        self,
        listen: tuple[str, int],
        target: tuple[str, int],
        impairment: Impairment | None = None,
    ) -> None:
        self.listen = listen
        self.target = target
        self.impairment = impairment or Impairment()
        self.port = listen[1]
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay", daemon=True)

    def __enter__(self) -> Relay:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"the relay on {self.listen} did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        connections: set[asyncio.Task[None]] = set()

        def track(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._relay(reader, writer))
            connections.add(task)
            task.add_done_callback(connections.discard)

        server = await asyncio.start_server(track, *self.listen)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stop.wait()
        for task in list(connections):
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            self._pump(reader, upstream_writer, outbound=True),
            self._pump(upstream_reader, writer, outbound=False),
        )

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, outbound: bool
    ) -> None:
        """Forward ``source`` to ``sink``, each chunk at its due time, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    return
                sink.write(chunk)
                await sink.drain()

        delivering = asyncio.create_task(deliver())
        last = 0.0
        try:
            while True:
                chunk = await source.read(CHUNK)
                # Never before the chunk ahead of it: bytes leave in the order they came.
                last = max(last, loop.time() + self.impairment.hold(outbound))
                queue.put_nowait((last, chunk))
                if not chunk:
                    break
            await delivering
        except OSError:
            pass
        finally:
            delivering.cancel()
            sink.close()
