"""One frozen settings object, read once from ``QUIZBOARD_*`` environment variables.

Every field has a variable named after it (``redis_url`` is ``QUIZBOARD_REDIS_URL``),
a default, and a cast. A field made with :func:`flag` is also a CLI flag: the CLI
derives the option (its name, type and help) from the field, and a flag given
overrides the variable (:meth:`Settings.replace`). So a setting is written once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from quizboard.core.addresses import parse_networks
from quizboard.core.errors import ConfigError
from quizboard.core.failpoints import Failpoints

ENV_PREFIX = "QUIZBOARD_"


def flag(default: Any, help: str) -> Any:
    """A setting that a CLI flag may set too; ``help`` is the flag's help."""
    return dataclasses.field(default=default, metadata={"help": help})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a quizboard process may be configured with."""

    redis_url: str | None = flag(None, "Redis or Valkey URL.")
    database_url: str | None = flag(None, "PostgreSQL URL.")
    admin_token: str = ""
    secret: str = ""
    key_prefix: str = flag("qb:", "Prefix of every Redis key.")
    # a multiple of 6 spreads evenly over 2, 3 or 6 masters
    partitions: int = flag(6, "Stream partitions.")
    batch_size: int = 1000
    batch_interval_ms: int = 500
    block_ms: int = 1000
    reclaim_idle_ms: int = 30_000
    max_deliveries: int = 5
    throttle_ms: int = 500
    top_n: int = 10
    token_grace_s: int = 3600
    max_body_bytes: int = 64 * 1024
    max_media_bytes: int = 2 * 1024 * 1024  # an uploaded picture or sound
    media_cache_bytes: int = 64 * 1024 * 1024  # files an API process keeps in memory
    wait_aof: bool = False
    wait_replicas: int = 0  # replicas that must confirm an event before its 202 (WAIT)
    redis_cluster: bool = flag(False, "The Redis URL names a node of a Valkey or Redis Cluster.")
    coalesce: bool = True
    player_rate: int = 20  # answers per player per second; 0: no limit
    address_rate: int = 1000  # requests per client address per quiz per second; 0: no limit
    gateway_max_connections: int = 20_000
    trusted_proxies: str = ""  # addresses or networks whose X-Forwarded-For counts
    # the app's own users: joins may carry its JWT (HS256 with the secret, or RS256/ES256
    # with the PEM public key); audience and issuer are checked when set
    jwt_secret: str = ""
    jwt_public_key: str = ""
    jwt_audience: str = ""
    jwt_issuer: str = ""
    # the claim that makes an app user a host, who creates and runs its own quizzes:
    # "name=value" (e.g. role=teacher; a list claim holding the value counts too)
    jwt_host_claim: str = ""
    anonymous_join: bool = True  # False: a join must carry the app's JWT
    # the gateway as the web pages reach it (ws://host:port); "": the gateway's port on
    # the page's own host
    public_gateway_url: str = ""
    # browser origins the gateway accepts, comma-separated ("https://quiz.example.org");
    # "": any (clients that send no Origin, as apps and scripts, are always accepted)
    allowed_origins: str = ""
    quiz_retention_s: int = 86_400  # Redis keys of an ended quiz live this long
    test_pause: str = ""  # a failpoint: see quizboard/core/failpoints.py
    log_level: str = flag("INFO", "Log level: DEBUG, INFO, WARNING or ERROR.")
    api_host: str = flag("127.0.0.1", "Address the API listens on.")
    api_port: int = flag(8000, "The API's port.")
    api_workers: int = flag(1, "API processes on the one port (SO_REUSEPORT).")
    api_metrics_port: int | None = flag(
        None, "The API also serves /metrics here; with N processes, process i on this + i."
    )
    gateway_host: str = flag("127.0.0.1", "Address the gateway listens on.")
    gateway_port: int = flag(8001, "The gateway's port.")
    gateway_workers: int = flag(1, "Gateway processes on the one port (SO_REUSEPORT).")
    gateway_metrics_port: int | None = flag(
        None, "The gateway also serves /metrics here; with N processes, process i on this + i."
    )
    consumer: str = flag("", "A worker's stable consumer name (default: HOST-0).")
    metrics_port: int | None = flag(None, "A worker serves /metrics and /readyz here.")
    consumers: int = flag(1, "Workers per consumer group, as `up` runs them.")
    up_cluster: bool = flag(
        False, "Run on a local Valkey cluster of 3 masters and 3 replicas (embedded)."
    )
    data_dir: str = flag(".quizboard", "Where the embedded servers keep their data.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping, casting and checking each value."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = ENV_PREFIX + field.name.upper()
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            values[field.name] = _cast(name, raw, field.type)
        settings = cls(**values)
        settings.check()
        return settings

    def to_env(self) -> dict[str, str]:
        """The ``QUIZBOARD_*`` variables that rebuild these settings in a child process."""
        env: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            env[ENV_PREFIX + field.name.upper()] = str(value)
        return env

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied, ignoring ``None`` (an unset CLI flag)."""
        given = {k: v for k, v in changes.items() if v is not None}
        settings = dataclasses.replace(self, **given)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`ConfigError` naming the first value out of range."""
        positive = (
            "partitions",
            "batch_size",
            "batch_interval_ms",
            "block_ms",
            "reclaim_idle_ms",
            "max_deliveries",
            "throttle_ms",
            "top_n",
            "max_body_bytes",
            "gateway_max_connections",
            "api_workers",
            "gateway_workers",
            "consumers",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{ENV_PREFIX}{name.upper()} must be at least 1")
        if self.wait_replicas < 0:
            raise ConfigError(f"{ENV_PREFIX}WAIT_REPLICAS must be 0 or more")
        if not self.key_prefix:
            raise ConfigError(f"{ENV_PREFIX}KEY_PREFIX must not be empty")
        Failpoints(self.test_pause)  # names an existing failpoint, or none
        parse_networks(self.trusted_proxies)
        if self.jwt_secret and self.jwt_public_key:
            raise ConfigError(
                f"set {ENV_PREFIX}JWT_SECRET (HS256) or {ENV_PREFIX}JWT_PUBLIC_KEY, not both"
            )
        if not self.anonymous_join and not (self.jwt_secret or self.jwt_public_key):
            raise ConfigError(
                f"{ENV_PREFIX}ANONYMOUS_JOIN=false needs {ENV_PREFIX}JWT_SECRET or "
                f"{ENV_PREFIX}JWT_PUBLIC_KEY: no one could join"
            )


def _cast(name: str, raw: str, kind: object) -> Any:
    kind = str(kind)
    if kind in {"int", "int | None"}:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, not {raw!r}") from None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")
    return raw
