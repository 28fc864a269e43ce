"""What the API's lifespan opens and every route shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from quizboard.api.intake import Intake
from quizboard.core.addresses import Network
from quizboard.core.identity import JwtPolicy
from quizboard.core.keys import Keys
from quizboard.observe.metrics import ApiMetrics
from quizboard.observe.tracing import Tracing
from quizboard.settings import Settings
from quizboard.store.catalog import QuizCatalog
from quizboard.store.connections import Pool, Redis
from quizboard.store.live import LiveQuizzes
from quizboard.store.live_history import LiveHistory
from quizboard.store.media import MediaStore
from quizboard.store.room import Room


@dataclass(frozen=True, slots=True)
class Services:
    """The API's clients and the objects built on them; owned by the lifespan."""

    settings: Settings
    redis: Redis
    pool: Pool
    keys: Keys
    catalog: QuizCatalog
    media: MediaStore
    room: Room
    intake: Intake
    live: LiveQuizzes
    history: LiveHistory
    metrics: ApiMetrics
    tracing: Tracing
    secret: bytes  # the signing secret, encoded once for every token check
    openapi: Response  # the OpenAPI document, encoded once
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For counts
    jwt: JwtPolicy = field(default_factory=JwtPolicy)  # how app users' tokens are checked


def services(request: Request) -> Services:
    """The services of the app serving ``request``."""
    # Straight from the scope: ``request.state`` builds a State object per access.
    return cast(Services, request.scope["state"]["services"])
