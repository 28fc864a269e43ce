"""Redis Cluster hash slots, and the hash tag of each partition, chosen to spread.

A cluster maps a key to one of 16,384 slots by the CRC16 of its hash tag, and
a cluster formed the usual way (``valkey-cli --cluster create``) gives each
master an equal run of slots. Tags named ``{p0}``, ``{p1}``, ... hash to
clustered slots: with them no partition count up to 200 spreads evenly over
three masters. So partition ``N``'s tag is ``pN-K``, with the first ``K`` that
puts its slot just past the ``N``-th point of the base-6 van der Corput
sequence (0, 1/6, 2/6, ..., 1/36, 7/36, ...). Every run of 6 partitions then
lands one in each sixth of the slots: evenly over 1, 2, 3 or 6 masters. A tag
depends on its partition number alone, so adding partitions moves no quiz.
"""

from __future__ import annotations

import math
from functools import cache
from itertools import count

SLOTS = 16_384
SPREAD_BASE = 6
WINDOW = 64  # slots past its point a tag may land: about 256 tries to find one


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM, the checksum Redis Cluster hashes keys with."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def key_slot(key: str) -> int:
    """The slot of ``key``: of its ``{tag}`` when it has a non-empty one."""
    start = key.find("{")
    if start != -1:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc16(key.encode()) % SLOTS


def spread(index: int) -> float:
    """The ``index``-th point of the base-6 van der Corput sequence, in ``[0, 1)``."""
    point, scale = 0.0, 1.0
    while index:
        index, digit = divmod(index, SPREAD_BASE)
        scale /= SPREAD_BASE
        point += digit * scale
    return point


@cache
def partition_tag(partition: int) -> str:
    """The hash tag (without braces) of ``partition``: ``pN-K``, its slot placed to spread."""
    target = math.ceil(spread(partition) * SLOTS)
    for suffix in count():
        tag = f"p{partition}-{suffix}"
        if 0 <= crc16(tag.encode()) % SLOTS - target < WINDOW:
            return tag
    raise AssertionError("unreachable")  # pragma: no cover - count() never ends
