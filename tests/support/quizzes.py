"""The sample quiz as a request body, and the admin token every test stack uses."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parent.parent.parent / "quizboard" / "samples" / "everyday-english-b1.json"
ADMIN = "test-admin-token"
ADMIN_AUTH = {"Authorization": f"Bearer {ADMIN}"}
#: Parametrize a module over one Valkey and a 3-master cluster: see the backend fixture.
BACKENDS = ["single", "cluster"]


def live_body(picks: tuple[int, ...] = (0, 1, 3), time_limit_s: int = 20) -> dict[str, Any]:
    """The sample quiz's questions ``picks`` (two choice questions and a text one by
    default) as a live quiz, open now, with the default points (1000) and
    ``time_limit_s`` per question."""
    body = quiz_body()
    body["mode"] = "live"
    body["questions"] = [dict(body["questions"][i]) for i in picks]
    for question in body["questions"]:
        del question["points"]
        question["time_limit_s"] = time_limit_s
    return body


def quiz_body(opens_in: float = -60, lasts: float = 3600) -> dict[str, Any]:
    """The sample quiz as a ``POST /quizzes`` body, open ``opens_in`` seconds from now."""
    body: dict[str, Any] = json.loads(SAMPLE.read_text())
    start = datetime.now(UTC) + timedelta(seconds=opens_in)
    body["available_at"] = start.isoformat()
    body["ends_at"] = (start + timedelta(seconds=lasts)).isoformat()
    return body


PAIRS = [{"left": "big", "right": "large"}, {"left": "fast", "right": "quick"},
         {"left": "glad", "right": "happy"}, {"left": "cold", "right": "chilly"}]  # fmt: skip
#: A question of each kind, with what the tests expect of them.
KINDS: list[dict[str, Any]] = [
    {"kind": "true_false", "prompt": "'Colour' is British spelling.", "answer": True,
     "points": 100, "explanation": "American English writes 'color'."},
    {"kind": "multi", "prompt": "Which are fruits?", "choices": ["apple", "chair", "pear"],
     "answers": [0, 2], "partial": True, "points": 200},
    {"kind": "text", "prompt": "Coffee in French?", "accepted": ["café"],
     "ignore_accents": True, "points": 300},
    {"kind": "order", "prompt": "Make the sentence.", "items": ["I", "have", "been", "there"],
     "points": 400},
    {"kind": "match", "prompt": "Match each word to a synonym.", "pairs": PAIRS, "points": 400},
    {"kind": "poll", "prompt": "Tea or coffee?", "choices": ["tea", "coffee"]},
]  # fmt: skip
