"""How many processes of each role run, and the command line of each.

One API or gateway process runs as it always has. Several of a role share one
port with SO_REUSEPORT, each with its own metrics registry served on a port of
its own, so a scrape sees each process whole (Prometheus scrapes one target per
process; the shared port's ``/metrics`` answers for whichever process the kernel
picked). Each consumer group may run several consumers: they share the group's
partitions, each named ``up-N`` so a restarted one finds its own pending entries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from quizboard.local.supervisor import ChildSpec, quizboard_argv
from quizboard.streams.groups import GROUPS

SERVERS = ("api", "gateway")


def server_specs(role: str, count: int, metrics_ports: Sequence[int] = ()) -> list[ChildSpec]:
    """``count`` processes of ``role`` (``api`` or ``gateway``) on one port.

    With several, each binds with SO_REUSEPORT and, given ``metrics_ports``, serves
    its own metrics on the port of its index.
    """
    if role not in SERVERS:
        raise ValueError(f"{role!r} is not one of {SERVERS}")
    # "--workers 1" so that QUIZBOARD_API_WORKERS, inherited, does not make each spawn more.
    if count == 1 and not metrics_ports:
        return [ChildSpec(role, quizboard_argv(role, "--workers", "1"))]
    specs = []
    for index in range(count):
        argv = [role, "--workers", "1", "--reuse-port"]
        if metrics_ports:
            argv += ["--metrics-port", str(metrics_ports[index])]
        specs.append(ChildSpec(f"{role}-{index}", quizboard_argv(*argv)))
    return specs


def worker_specs(metrics_ports: Mapping[str, Sequence[int]]) -> list[ChildSpec]:
    """One worker per consumer of each group, each serving its metrics on its own port,
    and the stream trimmer."""
    specs = []
    for group in GROUPS:
        for index, port in enumerate(metrics_ports[group]):
            argv = ["worker", "--group", group, "--consumer", f"up-{index}",
                    "--metrics-port", str(port)]  # fmt: skip
            name = (
                f"worker:{group}" if len(metrics_ports[group]) == 1 else f"worker:{group}-{index}"
            )
            specs.append(ChildSpec(name, quizboard_argv(*argv)))
    specs.append(ChildSpec("worker:trimmer", quizboard_argv("worker", "--group", "trimmer")))
    return specs
