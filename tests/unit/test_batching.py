"""The consumer's decisions: when a batch closes, where pending reads resume, what is
past saving. Pure, with the clock given."""

from __future__ import annotations

from quizboard.streams.batching import BatchWindow, next_pending_ids, past_saving
from quizboard.streams.entries import Entry, letter_fields, parse_letter


def as_bytes(value: object) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def entry(stream: str, entry_id: str) -> Entry:
    return Entry(stream, entry_id, {b"d": b"{}"})


def test_an_empty_batch_blocks_for_the_idle_time() -> None:
    window = BatchWindow(size=10, interval=0.5, idle_block_ms=1000)
    assert window.next_block_ms(now=100.0) == 1000
    assert window.room() == 10


def test_the_first_entry_starts_the_clock_and_the_interval_closes_the_batch() -> None:
    window = BatchWindow(size=10, interval=0.5, idle_block_ms=1000)
    window.received(3, now=100.0)
    assert window.next_block_ms(now=100.0) == 500
    assert window.next_block_ms(now=100.25) == 250
    window.received(2, now=100.25)  # later entries do not move the deadline
    assert window.next_block_ms(now=100.4999) == 1  # never 0: that would block forever
    assert window.next_block_ms(now=100.5) is None
    assert window.room() == 5


def test_a_full_batch_closes_at_once() -> None:
    window = BatchWindow(size=4, interval=0.5, idle_block_ms=1000)
    window.received(4, now=100.0)
    assert window.next_block_ms(now=100.0) is None


def test_a_zero_interval_sends_what_the_first_read_gave() -> None:
    window = BatchWindow(size=100, interval=0.0, idle_block_ms=1000)
    window.received(1, now=5.0)
    assert window.next_block_ms(now=5.0) is None


def test_nothing_read_leaves_the_clock_alone() -> None:
    window = BatchWindow(size=10, interval=0.5, idle_block_ms=200)
    window.received(0, now=100.0)
    assert window.next_block_ms(now=200.0) == 200


def test_pending_reads_move_on_per_stream_and_drop_the_drained() -> None:
    ids = {"a": "0", "b": "0", "c": "5-0"}
    read = [entry("a", "1-0"), entry("a", "2-0"), entry("c", "7-1")]
    assert next_pending_ids(ids, read) == {"a": "2-0", "c": "7-1"}
    assert next_pending_ids(ids, []) == {}


def test_entries_past_their_deliveries_are_given_up() -> None:
    entries = [entry("a", "1-0"), entry("a", "2-0"), entry("a", "3-0")]
    hopeless, retry = past_saving(entries, {"1-0": 3, "2-0": 4, "3-0": 1}, max_deliveries=3)
    assert [e.id for e in hopeless] == ["2-0"]
    assert [e.id for e in retry] == ["1-0", "3-0"]
    # An entry whose count is unknown (acked meanwhile) is tried, never dead-lettered.
    assert past_saving(entries[:1], {}, max_deliveries=0) == ([], entries[:1])


def test_a_dead_letter_reads_back_as_written() -> None:
    original = Entry("qb:{p1}:answers", "9-2", {b"d": b'{"quiz_id":1}'})
    fields = letter_fields("answers-db", original, "DataError: bad", 6)
    raw = {as_bytes(k): as_bytes(v) for k, v in fields.items()}  # as Redis hands them back
    letter = parse_letter(1, "20-0", raw)
    assert letter.entry == original
    assert (letter.group, letter.error, letter.deliveries, letter.partition) == (
        "answers-db", "DataError: bad", 6, 1,
    )  # fmt: skip
