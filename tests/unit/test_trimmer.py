from __future__ import annotations

from quizboard.streams.trimmer import GroupPosition, safe_min_id

READERS = ("answers-db", "answers-redis")


def test_the_lowest_need_wins_pending_or_undelivered() -> None:
    positions = [
        GroupPosition("answers-db", "100-0", "40-3"),  # read up to 100, 40-3 not acked
        GroupPosition("answers-redis", "90-5", None),  # everything up to 90-5 done
    ]
    assert safe_min_id(positions, READERS) == "40-3"


def test_a_caught_up_stream_trims_up_to_the_next_entry() -> None:
    positions = [GroupPosition("answers-db", "100-0", None),
                 GroupPosition("answers-redis", "100-0", None)]  # fmt: skip
    assert safe_min_id(positions, READERS) == "100-1"


def test_a_group_that_never_read_keeps_everything() -> None:
    positions = [GroupPosition("answers-db", "0-0", None),
                 GroupPosition("answers-redis", "100-0", None)]  # fmt: skip
    assert safe_min_id(positions, READERS) == "0-1"


def test_a_missing_reader_means_no_trim() -> None:
    assert safe_min_id([GroupPosition("answers-db", "100-0", None)], READERS) is None
    assert safe_min_id([], READERS) is None
