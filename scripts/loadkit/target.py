"""What a load script points at (the API, the gateway, the admin token, PostgreSQL), and
the sample quiz it creates there."""

from __future__ import annotations

import argparse
import json
import os
import time
import zlib
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parent.parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"
SAMPLE_TEXT = SAMPLE.read_text()


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API")
    parser.add_argument("--gateway", default="ws://127.0.0.1:8001", help="the WebSocket gateway")
    parser.add_argument("--admin-token", default=os.environ.get("QUIZBOARD_ADMIN_TOKEN", ""))
    parser.add_argument("--database-url", default=os.environ.get("QUIZBOARD_DATABASE_URL"))


WORDS = ["apple", "house", "river", "green", "happy", "quick"]
#: One question of each kind the answer benchmarks compare (``--kind``), six choices,
#: items or pairs each: the answers they take are as long as any a page sends.
KIND_QUESTIONS: dict[str, dict[str, Any]] = {
    "choice": {"kind": "choice", "choices": WORDS, "answer": 2},
    "multi": {"kind": "multi", "choices": WORDS, "answers": [0, 2, 4], "partial": True},
    "order": {"kind": "order", "items": WORDS, "partial": True},
    "match": {"kind": "match", "pairs": [{"left": w, "right": w.upper()} for w in WORDS]},
}


def sample_quiz(kind: str | None = None) -> dict[str, Any]:
    """The sample quiz as a ``POST /quizzes`` body, open from 5 s ago for 3 hours; with
    ``kind``, its ten questions are all of that kind (:data:`KIND_QUESTIONS`)."""
    spec: dict[str, Any] = json.loads(SAMPLE_TEXT)
    if kind is not None:
        spec["questions"] = [
            {**KIND_QUESTIONS[kind], "prompt": f"{kind} question {n}", "points": 100}
            for n in range(1, len(spec["questions"]) + 1)
        ]
    now = time.time()
    spec["available_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 5))
    spec["ends_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3 * 3600))
    return spec


def noisy_png(size: int) -> bytes:
    """A real PNG of about ``size`` bytes: random pixels do not compress."""
    side = max(8, int((size / 3) ** 0.5))
    rows = b"".join(b"\x00" + os.urandom(side * 3) for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))  # fmt: skip
