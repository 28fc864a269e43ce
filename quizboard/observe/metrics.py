"""Prometheus metrics: one registry per process role, created by its owner and passed down.

Each process serves its own registry: the API and the gateway on their own
port at ``/metrics``, each worker on its ``--metrics-port``. ``quizboard up``
gives every child a port of its own (one port per process, not
prometheus-client's multiprocess mode), so a scrape sees each process whole.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000)
FRESHNESS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 5.0, 10.0)

CONTENT_TYPE = CONTENT_TYPE_LATEST


def render(registry: CollectorRegistry) -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(registry)


class ApiMetrics:
    """What the HTTP API counts."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "quizboard_http_requests",
            "HTTP requests by route and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "quizboard_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.accepted = Counter(
            "quizboard_events_accepted",
            "Events accepted into the streams",
            ["kind"],
            registry=self.registry,
        )
        self.intake_restarts = Counter(
            "quizboard_intake_flusher_restarts",
            "Times the intake's flusher failed and was started again",
            registry=self.registry,
        )
        self.joins_accepted = self.accepted.labels("join")
        self.answers_accepted = self.accepted.labels("answer")
        # labels() validates and locks on every call; the hot routes look each child up once.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request by route template, method and status, and time it."""
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
        children[0].inc()
        children[1].observe(seconds)


class WorkerMetrics:
    """What a consumer-group worker counts, and the state of its streams."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        r = self.registry = registry or CollectorRegistry()
        self.batch_size = Histogram(
            "quizboard_batch_size",
            "Entries per batch",
            ["group"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.flush_seconds = Histogram(
            "quizboard_flush_seconds",
            "Time to apply and ack a batch",
            ["group"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.acked = Counter(
            "quizboard_entries_acked", "Entries applied and acked", ["group"], registry=r
        )
        self.retries = Counter(
            "quizboard_retries", "Retries while a server was unreachable", ["group"], registry=r
        )
        self.reclaimed = Counter(
            "quizboard_entries_reclaimed", "Entries taken over by XAUTOCLAIM", ["group"], registry=r
        )
        self.dead = Counter(
            "quizboard_entries_dead_lettered",
            "Entries moved to a dead stream",
            ["group"],
            registry=r,
        )
        self.stream_length = Gauge(
            "quizboard_stream_length", "Entries in a stream", ["stream"], registry=r
        )
        self.lag = Gauge(
            "quizboard_group_lag",
            "Entries not yet delivered to a group",
            ["stream", "group"],
            registry=r,
        )
        self.pending = Gauge(
            "quizboard_group_pending",
            "Entries delivered but not acked",
            ["stream", "group"],
            registry=r,
        )
        self.oldest_pending = Gauge(
            "quizboard_group_oldest_pending_seconds",
            "Idle time of the oldest pending entry",
            ["stream", "group"],
            registry=r,
        )
        self.missing = Gauge(
            "quizboard_group_missing",
            "1 while a group that should read a stream does not exist on it",
            ["stream", "group"],
            registry=r,
        )
        self.published = Counter(
            "quizboard_snapshots_published", "Leaderboard snapshots published", registry=r
        )
        self.deferred = Counter(
            "quizboard_snapshots_deferred",
            "Changes held back by the throttle for a later snapshot",
            registry=r,
        )
        self.freshness = Histogram(
            "quizboard_leaderboard_freshness_seconds",
            "From an answer's acceptance to the snapshot that includes it",
            buckets=FRESHNESS_BUCKETS,
            registry=r,
        )

    def observe_freshness(self, as_of: str) -> None:
        """An ``as_of`` event id starts with its acceptance time in ms."""
        ms = as_of.partition("-")[0]
        if ms.isdigit():
            self.freshness.observe(max(0.0, time.time() - int(ms) / 1000))


class RoomCounts(Protocol):
    """What the gateway's rooms tell its metrics."""

    @property
    def connections(self) -> int:
        """Open clients."""

    @property
    def count(self) -> int:
        """Rooms: quizzes with at least one client."""

    @property
    def messages_sent(self) -> int:
        """Snapshot frames written to clients so far."""

    @property
    def standings_sent(self) -> int:
        """Standing messages written to players so far."""

    @property
    def standing_runs(self) -> int:
        """Boards read to compute standings so far."""

    @property
    def slow_clients_closed(self) -> int:
        """Clients closed so far for falling behind."""

    @property
    def feed_losses(self) -> int:
        """Times the pub/sub feed was lost and subscribed again."""


class GatewayMetrics:
    """What the WebSocket gateway counts, read from its rooms at scrape time."""

    def __init__(self, rooms: RoomCounts, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.registry.register(_RoomsCollector(rooms))


class _RoomsCollector(Collector):
    def __init__(self, rooms: RoomCounts) -> None:
        self._rooms = rooms

    def collect(self) -> Iterator[Metric]:
        rooms = self._rooms
        yield GaugeMetricFamily(
            "quizboard_gateway_connections", "Open WebSocket clients", value=rooms.connections
        )
        yield GaugeMetricFamily(
            "quizboard_gateway_rooms", "Quizzes with at least one client", value=rooms.count
        )
        yield CounterMetricFamily(
            "quizboard_gateway_messages_sent",
            "Snapshot frames written to clients",
            value=rooms.messages_sent,
        )
        yield CounterMetricFamily(
            "quizboard_gateway_standings_sent",
            "Standing messages written to players, each its own",
            value=rooms.standings_sent,
        )
        yield CounterMetricFamily(
            "quizboard_gateway_standing_runs",
            "Boards read to compute the players' standings (one per room and snapshot at most)",
            value=rooms.standing_runs,
        )
        yield CounterMetricFamily(
            "quizboard_gateway_slow_clients_closed",
            "Clients closed for falling behind",
            value=rooms.slow_clients_closed,
        )
        yield CounterMetricFamily(
            "quizboard_gateway_feed_losses",
            "Times the pub/sub feed was lost (a dropped connection, a failover, a resharding)"
            " and subscribed again, each room sent what it missed",
            value=rooms.feed_losses,
        )
