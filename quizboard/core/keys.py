"""Every Redis key and channel name quizboard uses, in one place.

Keys that belong to a quiz carry their partition's hash tag (``{pN-K}``, see
:mod:`quizboard.core.slots`) so that every Lua script touches a single Redis
Cluster slot. The cached quiz config is
the one exception: it is read first to learn the partition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache

from quizboard.core.slots import partition_tag

JOINS = "joins"
ANSWERS = "answers"
LB_CHANGES = "lb-changes"
DEAD = "dead"


@dataclass(frozen=True, slots=True)
class QuizKeys:
    """The Redis keys of one quiz, all under its partition's hash tag.

    Adding a key to a quiz is adding a field here: :meth:`all` and so the trimmer
    (which drops a quiz's keys once it has ended) follow.
    """

    # hash: player:question -> the answer's event id
    answered: str = field(metadata={"suffix": "answered"})
    # sorted set: player -> score
    leaderboard: str = field(metadata={"suffix": "lb"})
    # hash: player -> display name
    players: str = field(metadata={"suffix": "players"})
    # the last answer event applied to the board
    lb_as_of: str = field(metadata={"suffix": "lb-asof"})
    # the snapshot throttle's gate
    lb_gate: str = field(metadata={"suffix": "lb-gate"})
    # the snapshot version counter
    lb_version: str = field(metadata={"suffix": "lb-version"})
    # the last published snapshot
    lb_last: str = field(metadata={"suffix": "lb-last"})
    # hash: a live quiz's state (phase, the open question, its times, its message)
    live: str = field(metadata={"suffix": "live"})
    # hash: a live quiz's answers counted per question ("Q") and per choice ("Q:choice")
    tally: str = field(metadata={"suffix": "tally"})
    # hash: player -> "streak:position of the last right answer"
    streaks: str = field(metadata={"suffix": "streaks"})
    # hash: the room's controls ("locked": "1" while the lobby is locked)
    room: str = field(metadata={"suffix": "room"})
    # hash: player -> "kick" or "ban", for the players the host removed
    removed: str = field(metadata={"suffix": "removed"})
    # hash: player -> the points a removed player had, and those applied since
    held: str = field(metadata={"suffix": "held"})
    # hash: a name's key (case-folded) -> its player, and player + "\n" -> its name's key
    names: str = field(metadata={"suffix": "names"})
    # hash: player -> its team's index (a team quiz's players)
    team_of: str = field(metadata={"suffix": "team-of"})
    # sorted set: team index -> its members' points (removed players' left out)
    team_board: str = field(metadata={"suffix": "team-lb"})
    # sorted set: team index in two digits ("07") -> its members (removed players left
    # out), every team from the first join: the accepting script's smallest is its first
    team_sizes: str = field(metadata={"suffix": "team-sizes"})
    # the last published team board (a team quiz's), published with its snapshot
    team_last: str = field(metadata={"suffix": "team-last"})

    def all(self) -> list[str]:
        """Every key of the quiz."""
        return [getattr(self, f.name) for f in fields(self)]


@lru_cache(maxsize=4096)  # the intake names a quiz's keys on every request
def _quiz_keys(tag: str, quiz_id: int) -> QuizKeys:
    base = f"{tag}quiz:{quiz_id}:"
    return QuizKeys(*(base + f.metadata["suffix"] for f in fields(QuizKeys)))


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix (``qb:`` by default)."""

    prefix: str

    def tag(self, partition: int) -> str:
        """``qb:{pN-K}:``: the prefix of the partition's keys, with its hash tag."""
        return f"{self.prefix}{{{partition_tag(partition)}}}:"

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
        return int(stream[start : stream.index("-", start)])

    def rate(self, partition: int, quiz_id: int, kind: str, who: str) -> str:
        """A rate-limit counter: ``kind`` is ``player`` or ``address``."""
        return f"{self.tag(partition)}rl:{kind}:{quiz_id}:{who}"

    def quiz_config(self, quiz_id: int) -> str:
        return f"{self.prefix}quiz:{quiz_id}"

    def quiz(self, partition: int, quiz_id: int) -> QuizKeys:
        """Every key of one quiz: the one list of them (the trimmer drops them all)."""
        return _quiz_keys(self.tag(partition), quiz_id)

    def closing(self, partition: int) -> str:
        """Sorted set: the partition's live quizzes with a question open, by when it
        closes, for the timer that publishes the results of the questions that ran out."""
        return f"{self.tag(partition)}live-closing"

    def channel(self, partition: int, quiz_id: int) -> str:
        """The sharded pub/sub channel (SPUBLISH) of a quiz's snapshots, under its
        partition's tag: on a cluster it lives on the node that holds the quiz."""
        return f"{self.tag(partition)}lb:{quiz_id}"
