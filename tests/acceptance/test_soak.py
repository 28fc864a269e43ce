"""The soak run's short version, as the CI runs it: ``scripts/soak.py`` drives
``quizboard up`` with quizzes opening and ending, players joining and answering,
watchers coming and going and a worker of each group stopped on the way, then fails on
growth. Here it must find none; its figures are printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent.parent / "scripts" / "soak.py"


@pytest.mark.timeout(600)
def test_a_short_soak_run_grows_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "soak.csv"
    ran = subprocess.run(
        [sys.executable, str(SCRIPT), "--minutes", "1.6", "--rate", "60", "--watchers", "20",
         "--quiz-seconds", "20", "--retention", "5", "--restart-every", "45",
         "--sample-every", "10", "--csv", str(csv)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    print(ran.stdout)
    assert ran.returncode == 0, ran.stdout + ran.stderr[-3000:]
    assert "nothing grew" in ran.stdout
    assert "stopped a worker of each group" in ran.stdout  # the restarts happened
    rows = csv.read_text().splitlines()
    assert len(rows) >= 10  # a header, the baseline, samples under load, the last one
