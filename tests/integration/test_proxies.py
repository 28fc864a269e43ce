"""Behind a trusted proxy the client's address comes from X-Forwarded-For; from anyone else
the header is ignored. Shown on the API's per-address limit and the gateway's log."""

from __future__ import annotations

import logging

import httpx
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from quizboard.settings import Settings
from tests.support.stack import api_client, running_gateway
from tests.support.steps import create_quiz

# The in-process client connects from 127.0.0.1.
TRUSTED = {"address_rate": 2, "trusted_proxies": "127.0.0.1"}
UNTRUSTED = {"address_rate": 2, "trusted_proxies": "10.0.0.0/8"}


async def joins(api: httpx.AsyncClient, quiz_id: int, forwarded: list[str]) -> list[int]:
    statuses = []
    for number, address in enumerate(forwarded):
        response = await api.post(
            f"/quizzes/{quiz_id}/join",
            json={"display_name": f"Behind {address} {number}"},
            headers={"X-Forwarded-For": f"{address}, 127.0.0.1"},
        )
        statuses.append(response.status_code)
    return statuses


@pytest.mark.parametrize("settings", [TRUSTED], indirect=True)
async def test_a_trusted_proxys_header_names_the_client(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    # Five clients behind one proxy: each has its own budget of 2.
    assert await joins(api, quiz["id"], [f"198.51.100.{i}" for i in range(5)]) == [202] * 5
    # One client behind it, three times: its own limit applies.
    assert await joins(api, quiz["id"], ["203.0.113.7"] * 3) == [202, 202, 429]


@pytest.mark.parametrize("settings", [UNTRUSTED], indirect=True)
async def test_anyone_elses_header_is_ignored(
    api: httpx.AsyncClient, redis: aioredis.Redis
) -> None:
    quiz = await create_quiz(api)
    # The peer is not a trusted proxy: forging five addresses shares one budget.
    assert await joins(api, quiz["id"], [f"198.51.100.{i}" for i in range(5)]) == [
        202, 202, 429, 429, 429,
    ]  # fmt: skip


@pytest.mark.parametrize("trusted", ["127.0.0.1", "10.0.0.0/8"])
async def test_the_gateway_names_the_client_only_behind_a_trusted_proxy(
    settings: Settings, redis: aioredis.Redis, caplog: pytest.LogCaptureFixture, trusted: str
) -> None:
    configured = settings.replace(trusted_proxies=trusted)
    async with api_client(configured) as api, running_gateway(configured) as gateway:
        quiz = await create_quiz(api)
        caplog.set_level(logging.INFO, logger="quizboard.gateway.server")
        with pytest.raises(InvalidStatus):
            async with connect(
                gateway.url(quiz["id"], "forged-token"),
                additional_headers={"X-Forwarded-For": "198.51.100.23"},
            ):
                pass
    refused = [r.getMessage() for r in caplog.records if "refused a client" in r.getMessage()]
    seen = "198.51.100.23" if trusted == "127.0.0.1" else "127.0.0.1"
    assert refused == [f"refused a client from {seen}: invalid_token"]
