"""The throttle's decisions, driven by a fake clock."""

from __future__ import annotations

import itertools

from quizboard.core.throttle import QuizThrottle


def test_nothing_waiting_means_no_attempt() -> None:
    assert QuizThrottle(0.5).next_attempt(10.0) is None


def test_the_first_change_goes_out_at_once() -> None:
    throttle = QuizThrottle(0.5)
    throttle.change()
    assert throttle.next_attempt(10.0) == 10.0


def test_a_change_inside_the_interval_waits_for_its_end() -> None:
    throttle = QuizThrottle(0.5)
    throttle.change()
    throttle.begin()
    throttle.sent(10.0)
    throttle.change()
    assert throttle.next_attempt(10.1) == 10.5


def test_a_change_after_a_quiet_interval_is_a_leading_edge_again() -> None:
    throttle = QuizThrottle(0.5)
    throttle.change()
    throttle.begin()
    throttle.sent(10.0)
    throttle.change()
    assert throttle.next_attempt(11.0) == 11.0


def test_a_change_during_a_snapshot_is_not_covered_by_it() -> None:
    throttle = QuizThrottle(0.5)
    throttle.change()
    throttle.begin()
    throttle.change()  # arrives while the board is being read
    throttle.sent(10.0)
    assert throttle.next_attempt(10.0) == 10.5


def test_a_failed_snapshot_leaves_its_changes_waiting() -> None:
    throttle = QuizThrottle(0.5)
    throttle.change()
    throttle.begin()
    throttle.failed()
    assert throttle.next_attempt(10.0) == 10.0


def test_a_gate_held_elsewhere_is_waited_out() -> None:
    throttle = QuizThrottle(0.5)
    assert throttle.gate_held(10.0, 0.2) == 10.2
    assert throttle.gate_held(10.0, -0.002) > 10.0  # the gate just expired: retry now


def test_a_burst_sends_at_most_one_per_interval_and_the_last_change_in_time() -> None:
    """Simulate 2 s of changes every 7 ms against one worker's throttle."""
    throttle = QuizThrottle(0.5)
    sent: list[float] = []
    changes = [i * 0.007 for i in range(286)]
    now, index = 0.0, 0
    while index < len(changes) or throttle.dirty:
        if index < len(changes) and changes[index] <= now:
            throttle.change()
            index += 1
            continue
        at = throttle.next_attempt(now)
        if at is not None and at <= now:
            throttle.begin()
            throttle.sent(now)
            sent.append(now)
        now = round(now + 0.001, 6)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert sent[0] == 0.0  # leading edge
    assert min(gaps) >= 0.5
    assert sent[-1] - changes[-1] <= 0.5  # trailing edge
    assert throttle.next_attempt(sent[-1] + 0.5) is None  # nothing waits
