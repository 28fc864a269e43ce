"""``quizboard up`` as a new user runs it: embedded servers, the full round trip, a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from quizboard.local.embedded import free_port
from tests.support.processes import quizboard_argv, quizboard_env, start_up
from tests.support.quizzes import quiz_body


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line or environment mentions ``text``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if text.encode() in blob:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_up_serves_a_round_trip_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir = tmp_path / "quizboard-up-data"
    api_port = free_port()
    gateway_port = free_port(frozenset({api_port}))
    env = quizboard_env(QUIZBOARD_DATA_DIR=str(data_dir))
    up, banner = await start_up(env, api_port, gateway_port)
    try:
        token = re.search(r"admin token: (\S+)", banner)
        assert token is not None, banner
        admin = {"Authorization": f"Bearer {token.group(1)}"}
        pids = [int(p) for p in re.findall(r"=(\d+)", banner.split("processes:")[1])]
        assert len(pids) == 8

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as api:
            quiz = (await api.post("/quizzes", json=quiz_body(), headers=admin)).json()
            player = (await api.post(f"/quizzes/{quiz['id']}/join",
                                     json={"display_name": "Newcomer"})).json()  # fmt: skip
            url = f"ws://127.0.0.1:{gateway_port}/quizzes/{quiz['id']}?token={player['token']}"
            async with connect(url) as ws:
                json.loads(await asyncio.wait_for(ws.recv(), 5))
                question = quiz["questions"][0]
                answered = await api.post(
                    f"/quizzes/{quiz['id']}/answers",
                    json={"question_id": question["id"], "answer": question["answer"]},
                    headers={"Authorization": f"Bearer {player['token']}"},
                )
                assert answered.status_code == 202
                event_id = answered.json()["event_id"]
                seen = []
                while True:
                    try:
                        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    except TimeoutError:
                        raise AssertionError(f"no snapshot with {event_id}: {seen}") from None
                    if snapshot["type"] == "standing":
                        continue  # the player's own: this test follows the board
                    seen.append((snapshot["version"], snapshot["as_of"]))
                    if snapshot["as_of"] == event_id:
                        break
            assert snapshot["entries"][0]["display_name"] == "Newcomer"
            assert snapshot["entries"][0]["score"] == 100

            # The operator commands reach the same servers through the line up printed.
            operate = re.search(r"operate: +(.*) uv run quizboard status", banner)
            assert operate is not None, banner
            variables = dict(pair.split("=", 1) for pair in operate.group(1).split())
            reconciled = await asyncio.to_thread(
                subprocess.run, quizboard_argv("reconcile", str(quiz["id"])),
                env=quizboard_env(**variables), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
            assert "1 accepted answers, 1 user_answer rows" in reconciled.stdout

            # A child that dies is started again.
            api_pid = int(re.findall(r"api=(\d+)", banner)[0])
            os.kill(api_pid, signal.SIGKILL)
            while alive(api_pid):  # noqa: ASYNC110 - another process, nothing to await
                await asyncio.sleep(0.05)
            deadline = time.monotonic() + 20
            while True:
                try:
                    if (await api.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, f"the API was not restarted:\n{banner}"
                await asyncio.sleep(0.1)
    finally:
        if up.returncode is None:
            up.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(up.wait(), 60)
    assert code == 0
    # Every child and both servers carry the data dir in their command line or environment.
    assert processes_mentioning(str(data_dir)) == []


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_demo_outlives_an_api_restart_and_stops_on_ctrl_c_mid_question(
    tmp_path: Path,
) -> None:
    api_port = free_port()
    env = quizboard_env(QUIZBOARD_DATA_DIR=str(tmp_path / "data"))
    log = tmp_path / "up.log"
    up, banner = await start_up(
        env, api_port, free_port(frozenset({api_port})), "--demo", stderr=log
    )
    token = re.search(r"admin token: (\S+)", banner)
    assert token is not None, banner
    admin = {"Authorization": f"Bearer {token.group(1)}"}

    async def question_open(api: httpx.AsyncClient, quiz_id: int) -> None:
        """Wait until the live demo's quiz ``quiz_id`` has a question open."""
        deadline = time.monotonic() + 40
        while True:
            with contextlib.suppress(httpx.TransportError):
                state = await api.get(f"/quizzes/{quiz_id}/state", headers=admin)
                if state.status_code == 200 and state.json()["phase"] == "question":
                    return
            assert time.monotonic() < deadline, f"quiz {quiz_id} opened no question"
            await asyncio.sleep(0.1)

    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}") as api:
            await question_open(api, 2)  # the first live demo quiz
            # The API dies mid-question; the supervisor starts it again, and the demo
            # leaves that quiz and runs a new one.
            os.kill(int(re.findall(r"api=(\d+)", banner)[0]), signal.SIGKILL)
            await question_open(api, 3)
    finally:
        up.send_signal(signal.SIGINT)  # as Ctrl-C does: the children have sessions of their own
        code = await asyncio.wait_for(up.wait(), 60)
    errors = log.read_text()
    assert "Traceback" not in errors, errors[-3000:]
    assert code == 0


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_a_killed_up_takes_its_children_and_servers_with_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "quizboard-killed"
    env = quizboard_env(QUIZBOARD_DATA_DIR=str(data_dir))
    api_port = free_port()
    up, _ = await start_up(env, api_port, free_port(frozenset({api_port})))
    assert len(processes_mentioning(str(data_dir))) >= 9
    up.kill()
    await up.wait()
    deadline = time.monotonic() + 30
    while processes_mentioning(str(data_dir)):
        assert time.monotonic() < deadline, processes_mentioning(str(data_dir))
        await asyncio.sleep(0.2)
