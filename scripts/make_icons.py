"""Draw the player app's icons (quizboard/web/icons/*.png): a podium on the accent colour.

    uv run python scripts/make_icons.py

PNG written by hand (zlib and struct), so the project needs no imaging library. The
icons are committed; run this again only to change them.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ICONS = Path(__file__).resolve().parents[1] / "quizboard" / "web" / "icons"
ACCENT = (0x35, 0x47, 0xD4)
WHITE = (0xFF, 0xFF, 0xFF)
GOLD = (0xF0, 0xB4, 0x00)


def pixel(x: float, y: float, maskable: bool) -> tuple[int, int, int, int]:
    """The colour at (x, y) in a unit square: a rounded square (or, maskable, the whole
    square) of the accent colour, a white podium of three steps, a gold star on top."""
    if not maskable:
        r, cx, cy = 0.18, min(max(x, 0.18), 0.82), min(max(y, 0.18), 0.82)
        if (x - cx) ** 2 + (y - cy) ** 2 > r * r:
            return (0, 0, 0, 0)
    scale = 0.8 if maskable else 1.0  # keep the drawing inside a maskable icon's safe zone
    u, v = 0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale
    steps = ((0.22, 0.40, 0.58), (0.40, 0.60, 0.44), (0.60, 0.78, 0.66))
    for left, right, top in steps:
        if left <= u < right and top <= v < 0.78:
            return (*WHITE, 255)
    if abs(u - 0.5) + abs(v - 0.32) < 0.07:
        return (*GOLD, 255)
    return (*ACCENT, 255)


def png(size: int, maskable: bool) -> bytes:
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel((i + 0.5) / size, (j + 0.5) / size, maskable))
                           for i in range(size))
        for j in range(size)
    )  # fmt: skip

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        (ICONS / f"icon-{size}.png").write_bytes(png(size, maskable=False))
    (ICONS / "maskable-512.png").write_bytes(png(512, maskable=True))
    print(f"wrote the icons to {ICONS}")


if __name__ == "__main__":
    main()
