"""The Starlette application: routes, error handlers, and the lifespan that owns the clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from quizboard.api.errors import exception_handlers
from quizboard.api.hot_path import HotPath
from quizboard.api.instrument import RequestMetrics
from quizboard.api.intake import Intake
from quizboard.api.openapi import build_openapi
from quizboard.api.responses import json_response
from quizboard.api.routes import ROUTES, starlette_routes
from quizboard.api.state import Services
from quizboard.core.addresses import parse_networks
from quizboard.core.errors import ConfigError
from quizboard.core.identity import JwtPolicy
from quizboard.core.keys import Keys
from quizboard.observe.metrics import ApiMetrics
from quizboard.observe.metrics_server import metrics_server
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.accept import Limits
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import pg_pool, redis_for
from quizboard.store.live import LiveQuizzes
from quizboard.store.live_history import LiveHistory
from quizboard.store.media import MediaStore
from quizboard.store.room import Room


def create_app(
    settings: Settings, tracing: Tracing | None = None, *, metrics_port: int | None = None
) -> Starlette:
    """The API app for ``settings``; its clients open when the server starts it.

    With ``metrics_port`` the app also serves its own ``/metrics`` on that port.
    """
    if not settings.secret or not settings.admin_token:
        raise ConfigError("QUIZBOARD_SECRET and QUIZBOARD_ADMIN_TOKEN must be set")
    openapi = json_response(build_openapi(ROUTES))
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        keys = Keys(settings.key_prefix)
        async with (
            redis_for(settings) as redis,
            pg_pool(settings.database_url, max_size=8) as pool,
            Intake(
                redis,
                keys,
                wait_aof=settings.wait_aof,
                wait_replicas=settings.wait_replicas,
                coalesce=settings.coalesce,
                limits=Limits(settings.player_rate, settings.address_rate),
                metrics=metrics,
            ) as intake,
            AsyncExitStack() as extra,
        ):
            if metrics_port is not None:
                await extra.enter_async_context(
                    metrics_server(settings.api_host, metrics_port, metrics.registry, lambda: True)
                )
            yield {
                "services": Services(
                    settings=settings,
                    redis=redis,
                    pool=pool,
                    keys=keys,
                    catalog=QuizCatalog(pool, redis, keys, settings.partitions),
                    media=MediaStore(pool, settings.media_cache_bytes),
                    room=Room(redis, pool, keys),
                    intake=intake,
                    live=LiveQuizzes(redis, keys),
                    history=LiveHistory(pool),
                    metrics=metrics,
                    tracing=tracing or Tracing(),
                    secret=settings.secret.encode(),
                    openapi=openapi,
                    trusted_proxies=parse_networks(settings.trusted_proxies),
                    jwt=JwtPolicy(
                        settings.jwt_secret,
                        settings.jwt_public_key,
                        settings.jwt_audience,
                        settings.jwt_issuer,
                        settings.jwt_host_claim,
                    ),
                )
            }

    return Starlette(
        routes=starlette_routes(),
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
        middleware=[
            Middleware(HotPath, metrics=metrics),
            Middleware(RequestMetrics, metrics=metrics),
        ],
    )
