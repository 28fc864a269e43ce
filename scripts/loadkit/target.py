"""What a load script points at (the API, the gateway, the admin token, PostgreSQL), and
the sample quiz it creates there."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parent.parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"
SAMPLE_TEXT = SAMPLE.read_text()


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API")
    parser.add_argument("--gateway", default="ws://127.0.0.1:8001", help="the WebSocket gateway")
    parser.add_argument("--admin-token", default=os.environ.get("QUIZBOARD_ADMIN_TOKEN", ""))
    parser.add_argument("--database-url", default=os.environ.get("QUIZBOARD_DATABASE_URL"))


def sample_quiz() -> dict[str, Any]:
    """The sample quiz as a ``POST /quizzes`` body, open from 5 s ago for 3 hours."""
    spec: dict[str, Any] = json.loads(SAMPLE_TEXT)
    now = time.time()
    spec["available_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 5))
    spec["ends_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3 * 3600))
    return spec
