"""Each player's own standing, pushed over its WebSocket: equal to /leaderboard/me."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.quizzes import ADMIN, BACKENDS
from tests.support.stack import Gateway, Workers
from tests.support.steps import answer, create_quiz, eventually, join
from tests.support.watch import Watcher, watching

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


@contextlib.asynccontextmanager
async def players_watching(
    gateway: Gateway, quiz: dict[str, Any], players: list[dict[str, Any]]
) -> AsyncIterator[list[Watcher]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(watching(gateway.url(quiz["id"], p["token"])))
            for p in players
        ]


def last_standing(watcher: Watcher) -> dict[str, Any] | None:
    found = [m for m in watcher.log if m["type"] == "standing"]
    return found[-1] if found else None


async def standings_equal_me(
    api: httpx.AsyncClient, quiz: dict[str, Any], players: list[dict[str, Any]],
    watchers: list[Watcher], scores: dict[str, int],
) -> bool:  # fmt: skip
    """Every player's last standing is ``/me``'s, once its board holds ``scores``: equal
    before any answer is applied would prove nothing."""
    for player, watcher in zip(players, watchers, strict=True):
        pushed = last_standing(watcher)
        if pushed is None or pushed["score"] != scores[player["player_id"]]:
            return False
        me = (
            await api.get(
                f"/quizzes/{quiz['id']}/leaderboard/me?around=1",
                headers={"Authorization": f"Bearer {player['token']}"},
            )
        ).json()
        if me.get("rank") is None:
            return False
        keep = ("rank", "score", "total_players", "around")
        if {k: pushed[k] for k in keep} != {k: me.get(k, []) for k in keep}:
            return False
    return True


async def test_every_player_gets_its_own_standing_equal_to_me(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway
) -> None:
    """14 players, more than the top 10, some tied; then one joins mid-quiz."""
    workers.start()
    quiz = await create_quiz(api)
    players = [await join(api, quiz["id"], f"P{i:02}") for i in range(14)]
    scores = {p["player_id"]: 0 for p in players}
    async with players_watching(gateway, quiz, players) as watchers:
        for rank, player in enumerate(players):
            for index in range(rank % 4):  # 0 to 3 right answers: four groups of ties
                scores[player["player_id"]] += (await answer(api, quiz, player, index))["points"]
        await eventually(
            lambda: standings_equal_me(api, quiz, players, watchers, scores), within=10
        )
        for watcher, player in zip(watchers, players, strict=True):
            message = last_standing(watcher)
            assert message is not None
            assert (message["quiz_id"], message["player_id"]) == (quiz["id"], player["player_id"])
            assert message["as_of"]
            assert player["player_id"] in {e["player_id"] for e in message["around"]}
        ranks = {last_standing(w)["rank"] for w in watchers}  # type: ignore[index]
        assert len(ranks) == 4  # ties share a rank

        late = await join(api, quiz["id"], "Late")
        async with players_watching(gateway, quiz, [late]) as [late_watcher]:
            scores[late["player_id"]] = 0
            for index in range(3):
                scores[late["player_id"]] += (await answer(api, quiz, late, index))["points"]
            everyone = [*players, late]
            await eventually(
                lambda: standings_equal_me(api, quiz, everyone, [*watchers, late_watcher], scores),
                within=10,
            )


async def test_boards_and_hosts_get_no_standing(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway
) -> None:
    workers.start()
    quiz = await create_quiz(api)
    player = await join(api, quiz["id"], "Ann")
    async with (
        watching(gateway.url(quiz["id"], player["token"])) as mine,
        watching(gateway.url(quiz["id"], ADMIN)) as board,
        watching(gateway.url(quiz["id"], quiz["host_token"])) as host,
    ):
        await answer(api, quiz, player, 0)

        async def scored() -> bool:
            standing = last_standing(mine)
            return standing is not None and standing["score"] > 0

        await eventually(scored, within=5)
        await asyncio.sleep(0.6)  # a throttle interval: anything due has gone out
        assert [m for m in board.log + host.log if m["type"] == "standing"] == []
