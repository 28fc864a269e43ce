"""Cluster slots, and partition tags that spread evenly over the masters."""

from __future__ import annotations

import pytest
from redis.crc import key_slot as redis_key_slot

from quizboard.core.slots import SLOTS, key_slot, partition_tag, spread


@pytest.mark.parametrize(
    "key", ["", "answers", "qb:{p0-8}:answers", "{}x", "a{b}c{d}", "{user1000}.following", "é"]
)
def test_our_slot_is_the_one_redis_computes(key: str) -> None:
    assert key_slot(key) == redis_key_slot(key.encode())


def test_the_spread_visits_each_sixth_in_every_run_of_six() -> None:
    assert [spread(i) for i in range(3)] == [0.0, 1 / 6, 2 / 6]
    for start in range(0, 36, 6):
        assert sorted(int(spread(i) * 6) for i in range(start, start + 6)) == list(range(6))


def masters_of(partitions: int, masters: int) -> list[int]:
    """How many of the first ``partitions`` land on each of ``masters`` equal slot runs,
    as valkey-cli --cluster create deals them out."""
    ends = [round(SLOTS * (m + 1) / masters) for m in range(masters)]
    counts = [0] * masters
    for partition in range(partitions):
        slot = key_slot(f"{{{partition_tag(partition)}}}")
        counts[next(m for m, end in enumerate(ends) if slot < end)] += 1
    return counts


@pytest.mark.parametrize("partitions", [6, 12, 24, 48])
@pytest.mark.parametrize("masters", [1, 2, 3, 6])
def test_a_multiple_of_six_partitions_spreads_evenly(partitions: int, masters: int) -> None:
    assert masters_of(partitions, masters) == [partitions // masters] * masters


def test_a_tag_depends_on_its_partition_alone() -> None:
    assert partition_tag(5) == partition_tag(5)
    assert partition_tag(0).startswith("p0-")
    assert len({partition_tag(p) for p in range(100)}) == 100
