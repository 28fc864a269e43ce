"""The soak run's verdict (scripts/loadkit/leaks.py): steady figures pass, and each kind
of growth is found."""

from __future__ import annotations

import pytest

from tests.support.kit import load_kit_module

leaks = load_kit_module("leaks")
MB = leaks.MB


def run(rss_growth_per_min: int = 0, after_fds: int = 40, after_keys: int = 30,
        lag_end: int = 0, minutes: int = 60) -> list[str]:  # fmt: skip
    baseline = leaks.Sample(0, rss={"api": 80 * MB}, fds={"api": 40}, keys=30)
    loaded = [
        leaks.Sample(60 * m, rss={"api": 90 * MB + m * rss_growth_per_min},
                     fds={"api": 60}, keys=500, lag=lag_end if m > minutes * 2 // 3 else 5)
        for m in range(1, minutes + 1)
    ]  # fmt: skip
    after = leaks.Sample(60 * minutes + 120, rss={"api": 90 * MB}, fds={"api": after_fds},
                         keys=after_keys)  # fmt: skip
    return list(leaks.findings(baseline, loaded, after))


def test_a_steady_run_finds_nothing() -> None:
    assert run() == []


def test_memory_that_keeps_rising_is_found() -> None:
    found = run(rss_growth_per_min=MB // 2)  # 30 MB an hour on 90: a third an hour
    assert len(found) == 1, found
    assert found[0].startswith("api: resident memory grew"), found


def test_a_short_runs_noise_is_not_a_leak() -> None:
    assert run(rss_growth_per_min=MB, minutes=3) == []  # 2 MB: under the slack


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"after_fds": 100}, "file descriptors open after the load"),
        ({"after_keys": 500}, "keys after the retention"),
        ({"lag_end": 5000}, "lag grew under load"),
    ],
)
def test_each_kind_of_growth_is_found(change: dict[str, int], says: str) -> None:
    found = run(**change)
    assert any(says in finding for finding in found), found


def test_the_slope_of_a_line() -> None:
    assert leaks.slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert leaks.slope([(1, 4.0)]) == 0.0


def valkey_run(peak_step_at: int, rss_above_peak_per_min: int = 0) -> list[str]:
    """An hour in which Valkey's peak of used memory steps up 60 MB at minute
    ``peak_step_at``, its RSS with it, plus ``rss_above_peak_per_min``."""

    def sample(minute: int) -> object:
        peak = (100 + (60 if minute >= peak_step_at else 0)) * MB
        return leaks.Sample(60 * minute, rss={"valkey": peak + 20 * MB
                                              + minute * rss_above_peak_per_min},
                            valkey_peak_bytes=peak, keys=30)  # fmt: skip

    return list(leaks.findings(sample(0), [sample(m) for m in range(1, 61)], sample(62)))


def test_valkeys_memory_that_follows_its_peak_is_not_a_leak() -> None:
    assert valkey_run(peak_step_at=45) == []  # a node held more than ever before, once


def test_valkeys_memory_that_rises_above_its_peak_is_found() -> None:
    found = valkey_run(peak_step_at=45, rss_above_peak_per_min=MB // 2)
    assert len(found) == 1, found
    assert found[0].startswith("valkey: resident memory above its peak of used memory grew")


def test_without_its_peak_valkeys_whole_memory_is_judged() -> None:
    baseline = leaks.Sample(0, rss={"valkey": 100 * MB}, keys=30)
    loaded = [leaks.Sample(60 * m, rss={"valkey": (100 + (60 if m >= 45 else 0)) * MB}, keys=30)
              for m in range(1, 61)]  # fmt: skip
    after = leaks.Sample(3720, rss={"valkey": 160 * MB}, keys=30)
    assert leaks.findings(baseline, loaded, after)[0].startswith("valkey: resident memory grew")
