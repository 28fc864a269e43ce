"""The intake's reading of the accepting script's replies."""

from __future__ import annotations

import pytest
from redis.exceptions import ResponseError

from quizboard.api.intake import check_on_disk, parse_result
from quizboard.core.errors import RateLimited, Unavailable


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
    check_on_disk([1, 0])
    for refused in ([0, 0], ResponseError("ERR WAITAOF cannot be used when appendonly is no")):
        with pytest.raises(Unavailable, match="not confirmed on disk"):
            check_on_disk(refused)
