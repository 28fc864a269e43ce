"""What a soak run samples: every process under ``quizboard up`` by role, with its
resident memory and open file descriptors, and Valkey's and PostgreSQL's figures."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
import redis

from loadkit.leaks import MB, Sample


def descendants(root: int) -> dict[int, str]:
    """Every process under ``root`` and its role (``api``, ``worker:answers-db``,
    ``valkey``, ``postgres``)."""
    parents: dict[int, int] = {}
    argvs: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            raw = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat[1])
        argvs[int(entry.name)] = [a.decode(errors="replace") for a in raw if a]
    roles: dict[int, str] = {}
    for pid, argv in argvs.items():
        ancestor = parents.get(pid, 0)
        while ancestor not in (root, 0, 1):
            ancestor = parents.get(ancestor, 0)
        if ancestor != root or not argv:
            continue
        program = argv[0].rsplit("/", 1)[-1]
        if program.startswith(("valkey-server", "postgres")):
            roles[pid] = "valkey" if program.startswith("valkey") else "postgres"
        elif "quizboard" in argv:
            rest = argv[argv.index("quizboard") + 1 :]
            role = rest[0] if rest else "?"
            if role == "worker" and "--group" in rest:
                role = f"worker:{rest[rest.index('--group') + 1]}"
            roles[pid] = role
    return roles


def masters(target: dict[str, Any]) -> list[redis.Redis]:
    """A client of each master (the one Valkey when it is not a cluster)."""
    if not target["cluster"]:
        return [redis.Redis.from_url(target["redis_url"])]
    cluster = redis.RedisCluster.from_url(target["redis_url"])
    try:
        primaries = cluster.get_primaries()  # type: ignore[no-untyped-call]
        return [redis.Redis(host=n.host, port=n.port) for n in primaries]
    finally:
        cluster.close()


NODE_FIGURES = (
    "used_memory", "used_memory_rss", "used_memory_peak", "allocator_allocated",
    "allocator_active", "allocator_resident", "mem_fragmentation_ratio",
    "mem_replication_backlog", "mem_clients_slaves", "mem_clients_normal", "mem_aof_buffer",
    "used_memory_scripts", "aof_rewrites", "total_forks", "role",
)  # fmt: skip


def every_node(target: dict[str, Any]) -> list[redis.Redis]:
    """A client of each Valkey node, masters and replicas."""
    if not target["cluster"]:
        return [redis.Redis.from_url(target["redis_url"])]
    cluster = redis.RedisCluster.from_url(target["redis_url"])
    try:
        addresses = [(n.host, n.port) for n in cluster.get_nodes()]  # type: ignore[no-untyped-call]
    finally:
        cluster.close()
    return [redis.Redis(host=host, port=port) for host, port in addresses]


def node_memory(target: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each Valkey node's memory figures (masters and replicas), by its address: what a
    node's resident memory is made of, when it grows."""
    figures: dict[str, dict[str, Any]] = {}
    for client in every_node(target):
        with client:
            info = client.info("everything")
            kwargs = client.connection_pool.connection_kwargs
            figures[f"{kwargs['host']}:{kwargs['port']}"] = {
                name: info[name] for name in NODE_FIGURES if name in info
            }
    return figures


def take_sample(target: dict[str, Any], at: float) -> Sample:
    sample = Sample(at)
    rss: dict[str, int] = defaultdict(int)
    fds: dict[str, int] = defaultdict(int)
    for pid, role in descendants(target["pid"]).items():
        if role == "postgres":
            continue  # its backends come and go; its size is measured below
        try:
            rss[role] += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf(
                "SC_PAGE_SIZE"
            )
            fds[role] += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            continue  # it just exited (a restarted worker)
    sample.rss, sample.fds = dict(rss), dict(fds)
    for client in every_node(target):
        with client:
            sample.valkey_peak_bytes += int(client.info("memory")["used_memory_peak"])
    for client in masters(target):
        with client:
            sample.valkey_bytes += int(client.info("memory")["used_memory"])
            sample.keys += int(client.dbsize())
            for stream in client.scan_iter(_type="STREAM", count=1000):
                sample.stream_entries += int(client.xlen(stream))
                for group in client.xinfo_groups(stream):
                    sample.lag += int(group.get("lag") or 0)
    with psycopg.connect(target["database_url"]) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        ).fetchone()
        sample.postgres_bytes = int(row[0]) if row else 0
    return sample


def describe(sample: Sample) -> str:
    rss = sum(sample.rss.values()) / MB
    fds = sum(sample.fds.values())
    return (f"RSS {rss:.0f} MB, fds {fds}, valkey {sample.valkey_bytes / MB:.1f} MB, "
            f"keys {sample.keys}, stream entries {sample.stream_entries}, lag {sample.lag}, "
            f"postgres {sample.postgres_bytes / MB:.1f} MB")  # fmt: skip
