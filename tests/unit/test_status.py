"""What ``quizboard status`` calls a problem: decided from the registry and the streams."""

from __future__ import annotations

from quizboard.ops.status import missing, problems, render
from quizboard.store.stream_state import GroupStatus, StreamStatus
from quizboard.streams.groups import readers

ANSWERS = "qb:{p0}:answers"
EXPECTED = {ANSWERS: readers("answers")}


def group(name: str, last: str = "5-0", lag: int = 0, pending: int = 0) -> GroupStatus:
    return GroupStatus(name, last, lag, pending, None, 0.0)


def test_the_registry_names_who_reads_each_stream() -> None:
    assert readers("answers") == ("answers-db", "answers-redis")
    assert readers("joins") == ("joins-db", "joins-redis")
    assert readers("lb-changes") == ("leaderboard",)


def test_a_healthy_stream_has_no_problem() -> None:
    streams = [StreamStatus(ANSWERS, 5, [group("answers-db"), group("answers-redis")])]
    assert problems(streams, EXPECTED, max_lag=10, max_pending=10) == []


def test_a_missing_group_is_a_problem_and_is_named() -> None:
    streams = [StreamStatus(ANSWERS, 5, [group("answers-redis")])]
    assert missing(streams[0], EXPECTED) == ["answers-db"]
    assert problems(streams, EXPECTED, max_lag=10, max_pending=10) == [
        f"{ANSWERS} answers-db: the group is missing; start its worker"
    ]
    assert any(
        "answers-db" in line and "MISSING" in line for line in render(streams, EXPECTED, {0: 0})
    )


def test_a_group_that_never_read_while_entries_wait_is_a_problem() -> None:
    never = group("answers-db", last="0-0", lag=5)
    streams = [StreamStatus(ANSWERS, 5, [never, group("answers-redis")])]
    assert problems(streams, EXPECTED, max_lag=10, max_pending=10) == [
        f"{ANSWERS} answers-db: has never read an entry; 5 wait"
    ]
    empty = [StreamStatus(ANSWERS, 0, [group("answers-db", last="0-0"), group("answers-redis")])]
    assert problems(empty, EXPECTED, max_lag=10, max_pending=10) == []


def test_thresholds() -> None:
    streams = [StreamStatus(ANSWERS, 50, [group("answers-db", lag=11, pending=12),
                                          group("answers-redis")])]  # fmt: skip
    assert problems(streams, EXPECTED, max_lag=10, max_pending=10) == [
        f"{ANSWERS} answers-db: lag 11 > 10",
        f"{ANSWERS} answers-db: pending 12 > 10",
    ]
