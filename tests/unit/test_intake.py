"""The intake's reading of the accepting script's replies."""

from __future__ import annotations

import pytest
from redis.exceptions import ResponseError

from quizboard.api.intake import unconfirmed
from quizboard.core.errors import RateLimited, Unavailable
from quizboard.store.accept import parse_result


def test_an_entry_id_is_accepted_and_empty_is_a_repeat() -> None:
    assert parse_result("1700000000000-0") == "1700000000000-0"
    assert parse_result("") is None


@pytest.mark.parametrize(
    ("reply", "retry_after"),
    [("!250", 1), ("!1000", 1), ("!1001", 2), ("!0", 1), ("!-1", 1), ("!-2", 1), ("!x", 1)],
)
def test_a_limit_says_when_to_retry_in_whole_seconds(reply: str, retry_after: int) -> None:
    result = parse_result(reply)
    assert isinstance(result, RateLimited)
    assert result.retry_after == retry_after


def test_waitaof_must_confirm_the_local_fsync() -> None:
    assert unconfirmed([[1, 0]], wait_aof=True, wait_replicas=0) is None
    for refused in ([0, 0], ResponseError("ERR WAITAOF cannot be used when appendonly is no")):
        error = unconfirmed([refused], wait_aof=True, wait_replicas=0)
        assert isinstance(error, Unavailable)
        assert "not confirmed on disk" in error.message


def test_wait_must_count_enough_replicas() -> None:
    assert unconfirmed([1], wait_aof=False, wait_replicas=1) is None
    assert unconfirmed([[1, 0], 2], wait_aof=True, wait_replicas=2) is None
    for trailer in ([0], [ResponseError("ERR")], []):
        error = unconfirmed(trailer, wait_aof=False, wait_replicas=1)
        assert isinstance(error, Unavailable)
        assert "replicas" in error.message
    assert isinstance(unconfirmed([[1, 0], 1], wait_aof=True, wait_replicas=2), Unavailable)
    assert isinstance(unconfirmed([[0, 0], 2], wait_aof=True, wait_replicas=2), Unavailable)
