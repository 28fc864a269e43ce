"""A TCP relay run by the test on a thread of its own: it listens on one address and
forwards each connection to another, both ways.

The fault tests use it to let processes in a namespace reach a server that listens
on the root namespace's loopback only (the session's PostgreSQL): the relay listens
on the root namespace's address on the test network.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

CHUNK = 65_536


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def _serve(listen: tuple[str, int], target: tuple[str, int],
                 ready: threading.Event, stop: asyncio.Event) -> None:  # fmt: skip
    connections: set[asyncio.Task[object]] = set()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))

    def track(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(relay(reader, writer))
        connections.add(task)
        task.add_done_callback(connections.discard)

    server = await asyncio.start_server(track, *listen)
    ready.set()
    async with server:
        await stop.wait()
    for task in list(connections):
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*connections, return_exceptions=True)


@contextmanager
def relay(listen: tuple[str, int], target: tuple[str, int]) -> Iterator[None]:
    """Relay connections to ``listen`` to ``target`` until the block ends."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()

    def run() -> None:
        loop.run_until_complete(_serve(listen, target, ready, stop))
        loop.close()

    thread = threading.Thread(target=run, name="relay", daemon=True)
    thread.start()
    try:
        if not ready.wait(10):
            raise RuntimeError(f"the relay on {listen} did not start")
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
