"""The consumer groups: the one registry of what reads which stream into which sink.

Everything that needs to know the groups derives from :data:`GROUPS`: the
worker and the CLI's ``--group`` choices, ``quizboard up`` (one worker each),
the trimmer (which groups must have read an entry before it goes), ``quizboard
status`` and the stream metrics (which groups should exist on each stream).
compose.yaml and deploy/prometheus.yml are tied to it by a test. Adding a group
is one :class:`Group` here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from quizboard.core.errors import ConfigError
from quizboard.core.failpoints import UNARMED, Failpoints
from quizboard.core.keys import ANSWERS, JOINS, LB_CHANGES, Keys
from quizboard.observe.metrics import WorkerMetrics
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import Connections, Redis
from quizboard.streams.consumer import Sink
from quizboard.streams.postgres_sinks import UserAnswerSink, UserQuizSink
from quizboard.streams.redis_sinks import LeaderboardAnswerSink, LeaderboardJoinSink
from quizboard.streams.snapshots import SnapshotPublisher


@dataclass(frozen=True, slots=True)
class SinkContext:
    """What a group's sink is built from."""

    group: str
    redis: Redis
    keys: Keys
    settings: Settings
    pool: Connections | None = None
    metrics: WorkerMetrics | None = None
    tracing: Tracing | None = None
    failpoints: Failpoints = UNARMED

    def postgres(self) -> Connections:
        if self.pool is None:  # pragma: no cover - run_worker opens one for these groups
            raise ConfigError(f"group {self.group} needs PostgreSQL")
        return self.pool


@dataclass(frozen=True, slots=True)
class Group:
    """A consumer group: the stream kind it reads and how to build its sink."""

    name: str
    stream: str
    make_sink: Callable[[SinkContext], Sink]
    postgres: bool = False
    # Its sink copies into PostgreSQL, through staging tables made on each connection.
    copies: bool = False
    # The most a batch stays open, if less than QUIZBOARD_BATCH_INTERVAL_MS. The
    # leaderboard group holds no change back (0): its throttle does the pacing.
    batch_interval_ms: int | None = None

    # Its workers also run the closing sweep of live quizzes (streams/closer.py): the
    # results of a question whose time ran out, which no stream entry asks for.
    closes_questions: bool = False

    def interval_ms(self, configured: int) -> int:
        """How long this group's batches stay open, given the configured interval."""
        if self.batch_interval_ms is None:
            return configured
        return min(configured, self.batch_interval_ms)


#: How long the board's sinks hold a batch open. A PostgreSQL batch gains from size
#: (one COPY and one commit), so those wait up to QUIZBOARD_BATCH_INTERVAL_MS (500);
#: a board's batch is one Lua call however small, and every player waits on it to see
#: its points, so it closes sooner.
BOARD_BATCH_MS = 50


def _copying(name: str, stream: str, sink: type[UserQuizSink | UserAnswerSink]) -> Group:
    """A group whose sink copies batches into PostgreSQL."""
    return Group(
        name, stream, lambda c: sink(c.postgres(), c.redis, c.keys, c.failpoints),
        postgres=True, copies=True,
    )  # fmt: skip


def _scoring(
    name: str, stream: str, sink: type[LeaderboardJoinSink | LeaderboardAnswerSink]
) -> Group:
    """A group whose sink applies batches to the boards with a Lua script."""
    return Group(
        name, stream, lambda c: sink(c.redis, c.keys, c.failpoints),
        batch_interval_ms=BOARD_BATCH_MS,
    )  # fmt: skip


def _snapshots(c: SinkContext) -> SnapshotPublisher:
    """The publisher reads a team quiz's team names from the catalog (memory, then
    Redis; PostgreSQL only when Redis lost the quiz or its end has come)."""
    catalog = QuizCatalog(c.postgres(), c.redis, c.keys, c.settings.partitions)
    return SnapshotPublisher(
        c.redis,
        c.keys,
        group=c.group,
        interval_ms=c.settings.throttle_ms,
        top_n=c.settings.top_n,
        failpoints=c.failpoints,
        metrics=c.metrics,
        tracing=c.tracing,
        catalog=catalog,
    )


GROUPS: Mapping[str, Group] = {
    group.name: group
    for group in (
        _copying("joins-db", JOINS, UserQuizSink),
        _scoring("joins-redis", JOINS, LeaderboardJoinSink),
        _copying("answers-db", ANSWERS, UserAnswerSink),
        _scoring("answers-redis", ANSWERS, LeaderboardAnswerSink),
        Group(
            "leaderboard",
            LB_CHANGES,
            _snapshots,
            postgres=True,
            batch_interval_ms=0,
            closes_questions=True,
        ),
    )
}


def group(name: str) -> Group:
    """The group called ``name``; :class:`ConfigError` naming the choices otherwise."""
    found = GROUPS.get(name)
    if found is None:
        raise ConfigError(f"unknown group {name!r}; choose from {', '.join(GROUPS)}")
    return found


def readers(kind: str) -> tuple[str, ...]:
    """The groups that read the stream ``kind`` (``joins``, ``answers``, ...)."""
    return tuple(g.name for g in GROUPS.values() if g.stream == kind)


#: The stream kinds some group reads, in the order events flow through them.
STREAM_KINDS: tuple[str, ...] = tuple(dict.fromkeys(g.stream for g in GROUPS.values()))
