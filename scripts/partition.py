"""Rehearse a network partition: a Valkey cluster of 3 masters and 3 replicas, each
node in a Linux network namespace of its own, and commands that cut, heal, pause and
resume its nodes while quizboard runs against it.

    sudo uv run python scripts/partition.py

prints the cluster's URL; run quizboard on it from another terminal:

    QUIZBOARD_REDIS_URL=redis://10.x.y.2:6379/0 QUIZBOARD_REDIS_CLUSTER=true \\
        uv run quizboard up --demo

then type commands (or pipe them in; ``--commands "isolate v0; wait 8; heal"``):

    roles             each master and its replica
    isolate NODE      cut NODE off from every other Valkey; quizboard, in the root
                      namespace, still reaches it (a master and its clients on the
                      minority side)
    cut NODE NODE     cut two nodes off from each other
    heal              remove every cut
    pause NODE        SIGSTOP the node's Valkey; resume NODE sends SIGCONT
    wait SECONDS      sleep
    quit              stop every Valkey and remove the namespaces (also on Ctrl-C)

Watch ``quizboard status``, the logs and the demo board through it. Needs root,
``ip`` (iproute2) and ``nft`` (nftables); everything it made is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import Path

from quizboard.local.netns import (
    Network,
    Valkey,
    cluster_roles,
    form_cluster,
    network,
    valkey,
)

NODES = 6
NODE_TIMEOUT_MS = 2000


class Rehearsal:
    """The namespaced cluster and what the commands do to it."""

    def __init__(self, net: Network, servers: dict[str, Valkey]) -> None:
        self.net = net
        self.servers = servers

    def run(self, words: list[str]) -> bool:
        """Carry out one command; ``False`` to stop."""
        verb, args = words[0], words[1:]
        if verb == "quit":
            return False
        if verb == "roles":
            self.roles()
        elif verb == "isolate":
            self._node(args[0])
            for other in self.servers:
                if other != args[0]:
                    self.net.cut(args[0], other)
            print(f"{args[0]} is cut off from every other node", flush=True)
        elif verb == "cut":
            self._node(args[0])
            self._node(args[1])
            self.net.cut(args[0], args[1])
            print(f"{args[0]} and {args[1]} are cut off from each other", flush=True)
        elif verb == "heal":
            self.net.heal()
            print("every cut is healed", flush=True)
        elif verb in ("pause", "resume"):
            self._node(args[0])
            os.kill(self.servers[args[0]].process.pid,
                    signal.SIGSTOP if verb == "pause" else signal.SIGCONT)  # fmt: skip
            print(f"{args[0]} is {'paused' if verb == 'pause' else 'running'}", flush=True)
        elif verb == "wait":
            time.sleep(float(args[0]))
        else:
            print(f"unknown command {verb!r}; see --help", flush=True)
        return True

    def roles(self) -> None:
        names = {self.net.nodes[name].address: name for name in self.servers}
        for master, replica in cluster_roles([self.net.nodes[n] for n in self.servers]).items():
            mate = names.get(replica or "", "none")
            print(f"master {names[master]} ({master}), replica {mate}", flush=True)

    def _node(self, name: str) -> None:
        if name not in self.servers:
            raise ValueError(f"no node {name!r}: the nodes are {', '.join(self.servers)}")


def commands(given: str | None) -> Iterator[list[str]]:
    """The commands of ``--commands``, or else of standard input, split into words."""
    lines: Iterable[str] = given.split(";") if given is not None else sys.stdin
    for line in lines:
        words = shlex.split(line)
        if words:
            yield words


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", help='commands separated by ";", instead of stdin')
    parser.add_argument("--data-dir", type=Path, help="where the nodes keep their data")
    options = parser.parse_args()
    with ExitStack() as stack:
        base = options.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        net = stack.enter_context(network())
        servers: dict[str, Valkey] = {}
        for n in range(NODES):
            node = net.add(f"v{n}")
            data = base / node.name
            data.mkdir(parents=True, exist_ok=True)
            servers[node.name] = stack.enter_context(valkey(
                node, data, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", str(NODE_TIMEOUT_MS), "--appendonly", "yes",
            ))  # fmt: skip
        form_cluster([net.nodes[name] for name in servers], replicas=1)
        first = net.nodes["v0"].address
        print(f"cluster ready: QUIZBOARD_REDIS_URL=redis://{first}:6379/0 "
              "QUIZBOARD_REDIS_CLUSTER=true", flush=True)  # fmt: skip
        rehearsal = Rehearsal(net, servers)
        rehearsal.roles()
        try:
            for words in commands(options.commands):
                try:
                    if not rehearsal.run(words):
                        break
                except (ValueError, IndexError) as exc:
                    print(f"{' '.join(words)}: {exc or 'a node is missing'}", flush=True)
        except KeyboardInterrupt:
            pass
        print("stopping the nodes and removing the namespaces", flush=True)


if __name__ == "__main__":
    main()
