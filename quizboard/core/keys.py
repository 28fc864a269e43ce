"""Every Redis key and channel name quizboard uses, in one place.

Keys that belong to a quiz carry their partition's hash tag ``{pN}`` so that
every Lua script touches a single Redis Cluster slot. The cached quiz config is
the one exception: it is read first to learn the partition.
"""

from __future__ import annotations

from dataclasses import dataclass

JOINS = "joins"
ANSWERS = "answers"
LB_CHANGES = "lb-changes"
DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix (``qb:`` by default)."""

    prefix: str

    def tag(self, partition: int) -> str:
        return f"{self.prefix}{{p{partition}}}:"

    def stream(self, partition: int, name: str) -> str:
        """The stream ``name`` (``joins``, ``answers``, ...) of one partition."""
        return f"{self.tag(partition)}{name}"

    def streams(self, partitions: int, name: str) -> list[str]:
        """The stream ``name`` of every partition, in partition order."""
        return [self.stream(p, name) for p in range(partitions)]

    def dead(self, partition: int) -> str:
        """The partition's dead-letter stream."""
        return self.stream(partition, DEAD)

    def partition_of_stream(self, stream: str) -> int:
        """The partition number of a stream key made by :meth:`stream`."""
        start = stream.index("{p") + 2
        return int(stream[start : stream.index("}", start)])

    def rate(self, partition: int, quiz_id: int, kind: str, who: str) -> str:
        """A rate-limit counter: ``kind`` is ``player`` or ``address``."""
        return f"{self.tag(partition)}rl:{kind}:{quiz_id}:{who}"

    def quiz_config(self, quiz_id: int) -> str:
        return f"{self.prefix}quiz:{quiz_id}"

    def _quiz(self, partition: int, quiz_id: int, what: str) -> str:
        return f"{self.tag(partition)}quiz:{quiz_id}:{what}"

    def answered(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "answered")

    def leaderboard(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "lb")

    def players(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "players")

    def lb_as_of(self, partition: int, quiz_id: int) -> str:
        """The id of the last answer event applied to the sorted set."""
        return self._quiz(partition, quiz_id, "lb-asof")

    def lb_gate(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "lb-gate")

    def lb_version(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "lb-version")

    def lb_last(self, partition: int, quiz_id: int) -> str:
        return self._quiz(partition, quiz_id, "lb-last")

    def channel(self, quiz_id: int) -> str:
        """The pub/sub channel of a quiz's throttled snapshots."""
        return f"{self.prefix}lb:{quiz_id}"
