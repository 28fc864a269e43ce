"""Pictures and sounds for questions: what a file is, judged by its bytes.

An upload is named by the SHA-256 of its bytes, so the same file uploaded twice is
one file, and a name says what it holds for ever (it is cached as immutable). Its
type comes from its first bytes, never from the name or the type a client claims:
a file that is none of the kinds below is refused, as is one too short to hold the
header its kind must start with.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from msgspec import Meta, Struct

from quizboard.core.errors import InvalidInput

MediaId = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="a file's SHA-256, in hex")]
MEDIA_ID_LENGTH = 64

M4A_BRANDS = (b"M4A ", b"M4B ")


class Uploaded(Struct, frozen=True):
    """An uploaded file: its id, what it is and its size in bytes."""

    id: str
    content_type: str
    size: int


def media_id(data: bytes) -> str:
    """The id of a file: the SHA-256 of its bytes, in hex."""
    return hashlib.sha256(data).hexdigest()


def is_media_id(text: str) -> bool:
    return len(text) == MEDIA_ID_LENGTH and all(c in "0123456789abcdef" for c in text)


def sniff(data: bytes) -> str | None:
    """The type of ``data`` by its first bytes, or ``None`` when it is no kind we take."""
    head = data[:32]
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR" and len(data) >= 33:
        return "image/png"
    if head.startswith(b"\xff\xd8\xff") and len(data) >= 4:
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 13:
        return "image/gif"
    if head.startswith(b"RIFF") and len(data) >= 16:
        if head[8:12] == b"WEBP" and head[12:15] == b"VP8":
            return "image/webp"
        if head[8:12] == b"WAVE" and head[12:16] == b"fmt ":
            return "audio/wav"
    if head.startswith(b"OggS") and len(data) >= 27:
        return "audio/ogg"
    if (head.startswith(b"ID3") and len(data) >= 10) or _mpeg_frame(head):
        return "audio/mpeg"
    if head[4:8] == b"ftyp" and _m4a(data):
        return "audio/mp4"
    return None


def _mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame header: the sync bits, a layer, a bitrate and a sample rate
    that are not reserved."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    return head[1] & 0x06 != 0 and head[2] & 0xF0 != 0xF0 and head[2] & 0x0C != 0x0C


def _m4a(data: bytes) -> bool:
    """An MPEG-4 file whose major or a compatible brand is audio (``M4A``, ``M4B``)."""
    size = int.from_bytes(data[:4], "big")
    if size < 16 or len(data) < size:
        return False
    brands = [data[8:12]] + [data[i : i + 4] for i in range(16, size - 3, 4)]
    return any(b in M4A_BRANDS for b in brands)


def checked(data: bytes) -> Uploaded:
    """``data`` as an upload: its id, type and size; :class:`InvalidInput` for a file
    that is empty or of no kind we take."""
    if not data:
        raise InvalidInput("the body is empty: send the file's bytes", code="invalid_media")
    content_type = sniff(data)
    if content_type is None:
        kinds = "PNG, JPEG, WebP, GIF, MP3, OGG, WAV or M4A"
        raise InvalidInput(
            f"the file is not a {kinds}, judged by its bytes", code="unsupported_media"
        )
    return Uploaded(media_id(data), content_type, len(data))
