"""The fault tests' network of namespaces, on its own: nodes reach each other and the
test over the links it made, a partition cuts exactly the pair it names, a heal
restores it, and nothing is left behind, even after a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis

from quizboard.local.netns import Network, Node, network, valkey

PING = (
    "import redis, sys\n"
    "try:\n"
    "    print(redis.Redis(host=sys.argv[1], socket_timeout=1, socket_connect_timeout=1,"
    " retry_on_error=[]).ping())\n"
    "except redis.RedisError:\n"
    "    print(False)\n"
)


def pings(net: Network, where: str, to: Node) -> bool:
    """Whether a client in node ``where`` (or the root namespace) reaches Valkey on ``to``."""
    if where == "root":
        try:
            client = redis.Redis(host=to.address, socket_timeout=1, socket_connect_timeout=1)
            return bool(client.ping())
        except redis.RedisError:
            return False
    argv = net.nodes[where].command([sys.executable, "-c", PING, to.address])
    return subprocess.run(argv, capture_output=True, timeout=20).stdout.strip() == b"True"


def leftovers(prefix: str) -> list[str]:
    spaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    return [line for line in (spaces + links).splitlines() if prefix in line]


def test_partitions_cut_exactly_the_pair_named_and_heal(tmp_path: Path) -> None:
    with network() as net:
        store, api, worker = net.add("valkey"), net.add("api"), net.add("worker")
        with valkey(store, tmp_path):
            assert pings(net, "api", store)
            assert pings(net, "root", store)
            net.cut("api", "valkey")
            assert not pings(net, "api", store)
            assert pings(net, "worker", store)  # only the pair named
            assert pings(net, "root", store)
            net.heal()
            assert pings(net, "api", store)
        prefix = net.prefix
    assert leftovers(prefix) == []
    del api, worker


def test_a_failure_inside_leaves_nothing_behind() -> None:
    made: list[str] = []

    def fail_inside() -> None:
        with network() as net:
            made.append(net.prefix)
            net.add("valkey")
            net.cut("root", "valkey")
            raise RuntimeError("a test failed here")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert made
    assert leftovers(made[0]) == []


def test_the_rehearsal_script_isolates_a_master_until_its_replica_takes_over() -> None:
    """``scripts/partition.py``, as an operator runs it: a master isolated for longer
    than the node timeout is replaced by its replica, rejoins as a replica on the heal,
    and the script removes every namespace it made when it stops."""
    script = Path(__file__).parent.parent.parent / "scripts" / "partition.py"
    before = set(leftovers("qb"))
    ran = subprocess.run(
        [sys.executable, str(script), "--commands",
         "isolate v0; wait 7; heal; wait 4; roles; pause v9; quit"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    final = ran.stdout.split("every cut is healed")[1]
    assert "replica v0" in final  # the old master came back as its replica's replica
    assert "master v0" not in final
    assert "no node 'v9'" in ran.stdout  # a bad command is told, and the rest goes on
    assert set(leftovers("qb")) <= before
