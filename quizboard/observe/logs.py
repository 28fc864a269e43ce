"""Logging: one JSON object per line, or readable lines when a person is watching.

Every line carries a timestamp, the level, the process role (``api``,
``worker:answers-db``, ...) and, where the code knows them, the quiz, player,
group or stream it is about (passed as ``extra``). Tokens and secrets are
never passed to a logger.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

CONTEXT = ("quiz_id", "player_id", "group", "stream")


class JsonFormatter(logging.Formatter):
    """A record as one line of JSON."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "role": self.role,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT:
            if hasattr(record, key):
                event[key] = getattr(record, key)
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)


def setup_logging(role: str, level: str = "INFO", as_json: bool | None = None) -> None:
    """Send every logger's records to stderr; JSON unless stderr is a terminal."""
    if as_json is None:
        as_json = not sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    if as_json:
        handler.setFormatter(JsonFormatter(role))
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {role} %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # websockets logs every handshake and health check at INFO.
    logging.getLogger("websockets").setLevel(max(logging.WARNING, root.level))
