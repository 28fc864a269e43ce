"""Teams on a real Valkey (and cluster) and PostgreSQL: players put in balance (or in
the team they chose), team scores kept by the scripts that score players, equal to
PostgreSQL's sums, and a kick taking a member out of its team."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.quizzes import ADMIN, ADMIN_AUTH, BACKENDS, quiz_body
from tests.support.stack import Gateway, Workers
from tests.support.steps import answer, eventually
from tests.support.watch import watching

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


async def team_quiz(api: httpx.AsyncClient, ranked_by: str = "mean") -> dict[str, Any]:
    body = {**quiz_body(), "teams": ["Red", "Blue", "Green"], "team_score": ranked_by}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    quiz: dict[str, Any] = created.json()
    return quiz


async def stored_teams(
    db: psycopg.AsyncConnection[Any], quiz_id: int
) -> dict[int, tuple[int, int]]:
    """PostgreSQL's view: per team, its members and their points."""
    cursor = await db.execute(
        "SELECT j.team, count(DISTINCT j.player_id)::int, coalesce(sum(a.points), 0)::int"
        " FROM user_quiz j LEFT JOIN user_answer a"
        " ON a.quiz_id = j.quiz_id AND a.player_id = j.player_id"
        " WHERE j.quiz_id = %s AND NOT EXISTS (SELECT 1 FROM removed_players r"
        "  WHERE r.quiz_id = j.quiz_id AND r.player_id = j.player_id)"
        " GROUP BY j.team",
        (quiz_id,),
    )
    return {team: (members, points) for team, members, points in await cursor.fetchall()}


async def test_teams_are_balanced_scored_like_players_and_equal_postgresql(
    api: httpx.AsyncClient, workers: Workers, db: psycopg.AsyncConnection[Any]
) -> None:
    workers.start()
    quiz = await team_quiz(api)
    path = f"/quizzes/{quiz['id']}/join"
    joined = await asyncio.gather(*(api.post(path, json={"display_name": f"P{i}"})
                                    for i in range(12)))  # fmt: skip
    players = [r.json() for r in joined]
    chosen = await api.post(path, json={"display_name": "Picky", "team": 2})
    assert (chosen.status_code, chosen.json()["team"]) == (202, 2)
    assert sorted(sum(p["team"] == t for p in players) for t in range(3)) == [4, 4, 4]
    wrong = await api.post(path, json={"display_name": "Lost", "team": 3})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "invalid_team")
    board = (await api.get(f"/quizzes/{quiz['id']}/teams")).json()
    assert sorted(e["members"] for e in board["entries"]) == [4, 4, 5]  # 12 in balance, then 1
    for n, player in enumerate(players):
        for index in range(n % 3):
            await answer(api, quiz, player, index)
    kicked = players[1]
    host = {"Authorization": f"Bearer {quiz['host_token']}"}
    kick = await api.post(f"/quizzes/{quiz['id']}/players/{kicked['player_id']}/kick",
                          headers=host)  # fmt: skip
    assert kick.status_code == 200
    listed: dict[str, Any] = {}

    async def all_listed() -> bool:  # the host's list: the board, once the joins are on it
        room = (await api.get(f"/quizzes/{quiz['id']}/players", headers=host)).json()
        listed.update({p["player_id"]: p for p in room["players"]})
        return len(room["players"]) == 13

    await eventually(all_listed, within=10)
    assert listed[chosen.json()["player_id"]]["team"] == "Green"
    names = ["Red", "Blue", "Green"]
    assert listed[kicked["player_id"]]["team"] == names[kicked["team"]]
    assert listed[kicked["player_id"]]["removed"] == "kick"

    async def equal() -> bool:
        board = (await api.get(f"/quizzes/{quiz['id']}/teams")).json()
        shown = {e["team"]: (e["members"], e["total"]) for e in board["entries"]}
        return shown == await stored_teams(db, quiz["id"])

    await eventually(equal, within=10)
    board = (await api.get(f"/quizzes/{quiz['id']}/teams")).json()
    assert board["ranked_by"] == "mean"
    assert sum(e["members"] for e in board["entries"]) == 12  # 13 joined, 1 kicked
    for entry in board["entries"]:
        assert entry["score"] == round(entry["total"] / entry["members"], 2)
    scores = [e["score"] for e in board["entries"]]
    assert scores == sorted(scores, reverse=True)
    results = (await api.get(f"/quizzes/{quiz['id']}/results", headers=host)).json()
    assert {p["team"] for p in results["players"]} == {"Red", "Blue", "Green"}
    picky = next(p for p in results["players"] if p["display_name"] == "Picky")
    assert picky["team"] == "Green"


async def test_the_team_board_is_published_with_each_snapshot_and_sent_to_newcomers(
    api: httpx.AsyncClient, workers: Workers, gateway: Gateway
) -> None:
    workers.start()
    quiz = await team_quiz(api, ranked_by="total")
    path = f"/quizzes/{quiz['id']}/join"
    async with watching(gateway.url(quiz["id"], ADMIN)) as host:
        await host.next("leaderboard")
        players = [(await api.post(path, json={"display_name": f"P{i}"})).json()
                   for i in range(6)]  # fmt: skip
        points = 0
        for player, right in zip(players, (2, 2, 1, 0, 0, 0), strict=True):
            for index in range(right):
                points += (await answer(api, quiz, player, index))["points"]
        while True:  # until the board published holds every point
            teams = await host.next("team_leaderboard")
            if sum(e["total"] for e in teams["entries"]) == points:
                break
        route = (await api.get(f"/quizzes/{quiz['id']}/teams")).json()
        assert teams["entries"] == route["entries"]
        assert (teams["ranked_by"], teams["quiz_id"]) == ("total", quiz["id"])
        assert sum(e["members"] for e in teams["entries"]) == 6
        # It comes right after the snapshot of its version.
        at = host.log.index(teams)
        assert host.log[at - 1]["type"] == "leaderboard"
        assert host.log[at - 1]["version"] == teams["version"]
    async with watching(gateway.url(quiz["id"], ADMIN)) as newcomer:
        first = await newcomer.next("leaderboard")
        entered = await newcomer.next("team_leaderboard")
        assert newcomer.log[:2] == [first, entered]
        assert entered["entries"] == teams["entries"]


async def test_a_team_quiz_exported_for_editing_keeps_its_teams_and_options(
    api: httpx.AsyncClient,
) -> None:
    body = {**quiz_body(opens_in=600), "teams": ["Red", "Blue"], "team_score": "total",
            "board_between_questions": True}  # fmt: skip
    created = (await api.post("/quizzes", json=body, headers=ADMIN_AUTH)).json()
    exported = (await api.get(f"/quizzes/{created['id']}/export", headers=ADMIN_AUTH)).json()
    assert (exported["teams"], exported["team_score"]) == (["Red", "Blue"], "total")
    assert exported["board_between_questions"] is True
    # The editor sends the export back with a change: nothing else is lost.
    patch = {**exported, "title": "Renamed"}
    edited = await api.patch(f"/quizzes/{created['id']}", json=patch, headers=ADMIN_AUTH)
    assert edited.status_code == 200, edited.text
    public = (await api.get(f"/quizzes/{created['id']}")).json()
    assert (public["title"], public["teams"]) == ("Renamed", ["Red", "Blue"])
    assert (public["team_score"], public["board_between_questions"]) == ("total", True)


@pytest.mark.parametrize(
    ("language", "named"),
    [("en", ["Team 1", "Team 2", "Team 3"]), ("vi", ["Đội 1", "Đội 2", "Đội 3"])],
)
async def test_a_count_of_teams_gets_them_named_in_the_quiz_s_language(
    api: httpx.AsyncClient, language: str, named: list[str]
) -> None:
    body = {**quiz_body(), "teams": 3, "language": language}
    created = await api.post("/quizzes", json=body, headers=ADMIN_AUTH)
    assert created.status_code == 201, created.text
    assert created.json()["teams"] == named
    joined = await api.post(f"/quizzes/{created.json()['id']}/join", json={"display_name": "A"})
    assert joined.json()["team"] == 0
    for wrong in (1, 21, 0):
        refused = await api.post("/quizzes", json={**body, "teams": wrong}, headers=ADMIN_AUTH)
        assert refused.status_code == 422, refused.text
