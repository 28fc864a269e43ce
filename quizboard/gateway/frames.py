"""Text frames built once and written to many sockets: the board's fan-out, and each
player's standing.

:func:`websockets.broadcast` builds the frame again for every connection: the
protocol makes a ``Frame``, serializes its header, buffers it, and the
connection drains the buffer to its transport. A server's frames are never
masked and the gateway runs with no extension (``compression=None``), so a text
frame is a few fixed header bytes and the payload, the same for every client:
:func:`text_frame` builds it once and :func:`write` hands it to each transport.

websockets stays the protocol library: it does the handshake, the pings, the
closing handshake and all reading. Writing a whole data frame straight to the
transport is what its own ``broadcast`` ends up doing, with the same checks: the
connection is ``OPEN`` (not closing) and is not in the middle of a fragmented
send, which this server never starts. Nothing is buffered in the protocol
between two of its writes, so frames cannot interleave.
"""

from __future__ import annotations

from collections.abc import Iterable

from websockets.asyncio.server import ServerConnection
from websockets.protocol import State

FIN_TEXT = 0x81  # FIN bit and the text opcode: one whole text message


def text_frame(payload: bytes) -> bytes:
    """A whole, unmasked text frame carrying ``payload`` (UTF-8)."""
    size = len(payload)
    if size < 126:
        head = bytes((FIN_TEXT, size))
    elif size < 1 << 16:
        head = bytes((FIN_TEXT, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((FIN_TEXT, 127)) + size.to_bytes(8, "big")
    return head + payload


def writable(connection: ServerConnection) -> bool:
    """Whether a frame may go to ``connection`` now: open, and no message half-sent."""
    return connection.protocol.state is State.OPEN and connection.send_in_progress is None


def write(connections: Iterable[ServerConnection], frame: bytes) -> int:
    """Write ``frame`` to each writable connection, without waiting; how many got it.

    Like :func:`websockets.broadcast`, no backpressure: the rooms close a client
    whose write buffer grows past its limit.
    """
    sent = 0
    for connection in connections:
        if writable(connection):
            connection.transport.write(frame)
            sent += 1
    return sent
