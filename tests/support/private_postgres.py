"""A private PostgreSQL server for tests that stop, crash or restart the database, so the
shared server at 5432 (which other tests use concurrently) is never touched.

The server gets its own data directory (under a temporary base directory), a free port, a
socket directory of its own, trust authentication for `postgres` on 127.0.0.1, and is run as
the `postgres` operating-system user when the tests run as root (PostgreSQL refuses root).

    with private_postgres() as server:
        server.url             # postgresql://postgres@127.0.0.1:<port>/postgres
        server.restart()       # `pg_ctl restart -m immediate`: a crash and recovery
        server.stop(); server.start()

Everything started here is stopped through its own data directory (never by name) and the
base directory is removed when the block ends."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support.ports import free_port

_BIN_CANDIDATES = (
    os.environ.get("CNNECT_POSTGRES_BIN", ""),
    *sorted((str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")), reverse=True),
)


def _bin_dir() -> Path:
    for candidate in _BIN_CANDIDATES:
        if candidate and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError("no PostgreSQL server binaries (pg_ctl) found; set CNNECT_POSTGRES_BIN")


class PrivatePostgres:
    """One throw-away PostgreSQL server: its data directory, port and `pg_ctl`."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.sockets = base / "sockets"
        self.log = base / "postgres.log"
        self.port = free_port()
        self.bin = _bin_dir()
        # PostgreSQL will not run as root: run it as the `postgres` user when we are root.
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(base, owner.pw_uid, owner.pw_gid)

    @property
    def url(self) -> str:
        """The URL of the `postgres` database on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """Create the cluster: trust for local connections, small and fast settings."""
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._run("mkdir", "-p", str(self.sockets))
        settings = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.sockets}'\nmax_connections = 300\n"
            # fsync off: only the server is crashed here, never the machine, so the page cache
            # keeps what was written. Commits stay synchronous: a crash must lose nothing
            # that a client was told is committed.
            "fsync = off\nshared_buffers = 64MB\n"
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`mode`: smart, fast or immediate)."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, mode: str = "immediate") -> None:
        """Restart; `immediate` is a crash: no checkpoint, recovery from the WAL on start."""
        self.stop(mode)
        self.start()


@contextlib.contextmanager
def private_postgres(*settings: str) -> Iterator[PrivatePostgres]:
    """A private server (`settings`: lines added to its postgresql.conf), started; stopped
    and removed at the end."""
    base = Path(tempfile.mkdtemp(prefix="cnnect-pg-"))
    server = PrivatePostgres(base)
    try:
        server.init()
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{line}\n" for line in settings)
        server.start()
        yield server
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            server.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
