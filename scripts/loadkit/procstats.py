"""CPU and memory of local processes, read from /proc."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Sample:
    cpu_seconds: float
    rss_bytes: int


def quizboard_processes() -> dict[int, str]:
    """Local quizboard processes and their role (``api``, ``worker:answers-db``, ...).

    Valkey and PostgreSQL (every backend) are included as ``valkey`` and
    ``postgres``: on one machine they take their share of the same cores.
    """
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [a.decode(errors="replace") for a in argv if a]
        if words and words[0].rsplit("/", 1)[-1].startswith("valkey-server"):
            found[int(entry.name)] = "valkey"
            continue
        if words and words[0].rsplit("/", 1)[-1].startswith("postgres"):
            found[int(entry.name)] = "postgres"
            continue
        if "quizboard" not in words or "-m" not in words:
            continue
        rest = words[words.index("quizboard") + 1 :]
        if not rest or rest[0] == "up":
            continue
        role = rest[0]
        if role == "worker" and "--group" in rest:
            role = f"worker:{rest[rest.index('--group') + 1]}"
        found[int(entry.name)] = role
    return found


def sample(pid: int) -> Sample | None:
    """CPU seconds used so far and resident memory, or ``None`` if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    utime, stime = int(fields[11]), int(fields[12])
    return Sample((utime + stime) / TICKS, rss_pages * PAGE)
