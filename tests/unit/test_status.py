"""What ``quizboard status`` calls a problem: decided from the registry and the streams."""

from __future__ import annotations

from quizboard.ops.status import missing, problems, render, spread
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


def test_each_masters_partitions_are_listed_and_an_uneven_spread_is_warned() -> None:
    even = spread({0: "a", 1: "b", 2: "c", 3: "a", 4: "b", 5: "c"}, ["a", "b", "c"])
    assert even == ["partitions on a: p0, p3", "partitions on b: p1, p4", "partitions on c: p2, p5"]
    uneven = spread({0: "a", 1: "a", 2: "a", 3: "b"}, ["a", "b", "c"])
    assert uneven[:3] == ["partitions on a: p0, p1, p2", "partitions on b: p3",
                          "partitions on c: none"]  # fmt: skip
    assert uneven[3].startswith("WARNING: the partitions are spread unevenly over the 3 masters")
    assert spread({0: "one", 1: "one"}, ["one"]) == ["partitions on one: p0, p1"]
