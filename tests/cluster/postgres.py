"""A replicated PostgreSQL on this machine for the cluster harness: one etcd and two Patroni
members (`pg-a`, `pg-b`), a primary and a synchronous streaming replica, failing over by
Patroni itself (issue 20).

    with postgres_cluster() as cluster:
        cluster.url                         # multi-host, target_session_attrs=read-write
        old = cluster.kill_primary()        # SIGKILL its Patroni and every postgres process
        new, seconds = cluster.wait_new_primary(old)
        cluster.start_member(old)           # rejoins as a replica (pg_rewind when needed)
        cluster.wait_healthy()

Why Patroni with etcd: a real failover tool rather than a script of ours (a leader key with a
TTL in etcd; only the synchronous standby is promoted), both Debian packages (`make
cluster-tools`), run as plain processes we own; CloudNativePG, which production runs, needs
Kubernetes. Everything started here is ended by its own pid (never by name: the machine's
shared PostgreSQL runs too) and the base directory is removed when the block ends, even when it
fails."""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from tests.cluster.patroni import Member, alive, patroni_config
from tests.support.ports import free_port
from tests.support.waiting import wait_until

MEMBERS = ("pg-a", "pg-b")


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=3) as answer:
        return json.load(answer)


class PostgresCluster:
    """Two Patroni members over one etcd; see the module docstring."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.scope = f"cnnect-{uuid.uuid4().hex[:8]}"
        self.etcd_port, self.etcd_peer_port = free_port(), free_port()
        self.etcd: subprocess.Popen[bytes] | None = None
        self.members = {name: Member(name, base / name) for name in MEMBERS}
        # Measured recoveries: (old primary, new primary, seconds from kill to new primary).
        self.failovers: list[tuple[str, str, float]] = []
        self._killed_at: dict[str, float] = {}
        # PostgreSQL will not run as root: Patroni (and the postgres it starts) run as the
        # `postgres` user then, and need to reach the base directory.
        self._user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self._user is not None:
            os.chown(base, self._user.pw_uid, self._user.pw_gid)

    @property
    def url(self) -> str:
        """The `postgres` database, via whichever member is primary (libpq tries each)."""
        hosts = ",".join(f"127.0.0.1:{m.pg_port}" for m in self.members.values())
        # connect_timeout bounds each host's attempt; libpq then tries the next one.
        return (
            f"postgresql://postgres@{hosts}/postgres"
            "?target_session_attrs=read-write&connect_timeout=5"
        )

    @property
    def failover_seconds(self) -> list[float]:
        """The time each failover took, from the kill to a new primary accepting writes."""
        return [seconds for _, _, seconds in self.failovers]

    def start(self, timeout: float = 180.0) -> None:
        """Start etcd and both members; return once the cluster is healthy."""
        self._start_etcd()
        for name, member in self.members.items():
            member.base.mkdir(parents=True)
            config = patroni_config(self.scope, self.etcd_port, member)
            # YAML is a superset of JSON: Patroni reads this as its YAML configuration.
            (member.base / "patroni.yml").write_text(json.dumps(config, indent=2))
            if self._user is not None:
                os.chown(member.base, self._user.pw_uid, self._user.pw_gid)
                for path in member.base.iterdir():
                    os.chown(path, self._user.pw_uid, self._user.pw_gid)
            self.start_member(name)
            if name == MEMBERS[0]:
                # The first member bootstraps (initdb) alone; the second then clones it.
                wait_until(lambda: self.primary() == MEMBERS[0], "pg-a bootstrapped", timeout)
        self.wait_healthy(timeout)

    def _start_etcd(self) -> None:
        client, peer = (
            f"http://127.0.0.1:{self.etcd_port}",
            f"http://127.0.0.1:{self.etcd_peer_port}",
        )
        with (self.base / "etcd.log").open("ab") as log:
            self.etcd = subprocess.Popen(
                [
                    "etcd", "--name", "cnnect-etcd", "--data-dir", str(self.base / "etcd"),
                    "--listen-client-urls", client, "--advertise-client-urls", client,
                    "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", f"cnnect-etcd={peer}",
                    "--initial-cluster-token", self.scope, "--initial-cluster-state", "new",
                ],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

        def healthy() -> bool:
            with contextlib.suppress(OSError, ValueError):
                return str(_get_json(f"{client}/health").get("health")) == "true"
            return False

        wait_until(healthy, "etcd answers", 60)

    def start_member(self, name: str) -> None:
        """Start `name`'s Patroni (again); it bootstraps, clones or rejoins as a replica."""
        member = self.members[name]
        if member.process is not None and member.process.poll() is None:
            raise RuntimeError(f"{name}'s Patroni already runs")
        # Popen's user/group: PostgreSQL refuses root, and Patroni starts it as itself.
        uid, gid = (None, None) if self._user is None else (self._user.pw_uid, self._user.pw_gid)
        with (member.base / "patroni.log").open("ab") as log:
            member.process = subprocess.Popen(
                ["patroni", str(member.base / "patroni.yml")],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=member.base,
                env={**os.environ, "HOME": str(member.base)},
                start_new_session=True,
                user=uid,
                group=gid,
            )

    def cluster_state(self) -> dict[str, dict[str, Any]]:
        """Patroni's view of the members (name -> role, state, ...), from any live member."""
        for member in self.members.values():
            with contextlib.suppress(OSError, ValueError):
                answer = _get_json(f"{member.api}/cluster")
                return {m["name"]: m for m in answer.get("members", [])}
        return {}

    def primary(self) -> str:
        """The name of the member holding the leader key ('' when none does)."""
        leaders = [n for n, m in self.cluster_state().items() if m.get("role") == "leader"]
        return leaders[0] if leaders else ""

    def _accepts_writes(self, name: str) -> bool:
        member = self.members[name]
        with contextlib.suppress(psycopg.Error):
            dsn = f"postgresql://postgres@127.0.0.1:{member.pg_port}/postgres?connect_timeout=3"
            with psycopg.connect(dsn, autocommit=True) as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
                return row is not None and row[0] is False
        return False

    def _sync_standbys(self, primary: str) -> set[str]:
        """Members streaming to `primary` as synchronous standbys (pg_stat_replication)."""
        member = self.members[primary]
        with contextlib.suppress(psycopg.Error):
            dsn = f"postgresql://postgres@127.0.0.1:{member.pg_port}/postgres?connect_timeout=3"
            with psycopg.connect(dsn, autocommit=True) as conn:
                rows = conn.execute(
                    "SELECT application_name FROM pg_stat_replication"
                    " WHERE state = 'streaming' AND sync_state = 'sync'"
                ).fetchall()
                return {row[0] for row in rows}
        return set()

    def healthy(self) -> bool:
        """A primary accepting writes and every other member its streaming sync standby."""
        state = self.cluster_state()
        primary = self.primary()
        if not primary or not self._accepts_writes(primary):
            return False
        others = set(self.members) - {primary}
        standbys = {n for n, m in state.items() if m.get("role") == "sync_standby"}
        return others <= standbys and others <= self._sync_standbys(primary)

    def wait_healthy(self, timeout: float = 120.0) -> None:
        """Wait until `healthy()`; AssertionError naming the members' state after `timeout`."""
        try:
            wait_until(self.healthy, "the cluster is healthy", timeout, interval=0.5)
        except AssertionError as exc:
            raise AssertionError(f"{exc}: {self.cluster_state()}") from None

    def kill_primary(self) -> str:
        """Crash the primary's node: SIGKILL its Patroni and all its postgres processes at
        once (no shutdown, no leader key released). Returns its name."""
        name = self.primary()
        if not name:
            raise AssertionError(f"no primary to kill: {self.cluster_state()}")
        self.kill_member(name)
        return name

    def kill_member(self, name: str) -> None:
        """SIGKILL `name`'s Patroni and postgres processes; wait until they are gone."""
        member = self.members[name]
        pids = member.postgres_pids()
        # Patroni first, so that it cannot start postgres again in between.
        if member.process is not None and member.process.poll() is None:
            member.process.kill()
        self._killed_at[name] = time.monotonic()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if member.process is not None:
            member.process.wait(timeout=30)
        wait_until(lambda: not any(alive(pid) for pid in pids), f"{name} dead", 30)

    def wait_new_primary(self, old: str, timeout: float = 120.0) -> tuple[str, float]:
        """Wait until a member other than `old` is primary and accepts writes; its name and
        the seconds since `old` was killed (recorded in `failovers`)."""
        found: list[str] = []

        def promoted() -> bool:
            name = self.primary()
            if name and name != old and self._accepts_writes(name):
                found.append(name)
            return bool(found)

        wait_until(promoted, f"a primary other than {old}", timeout, interval=0.1)
        seconds = time.monotonic() - self._killed_at.get(old, time.monotonic())
        self.failovers.append((old, found[0], seconds))
        return found[0], seconds

    def stop(self) -> None:
        """End every process started here, each by its own pid."""
        for name in self.members:
            with contextlib.suppress(OSError, subprocess.SubprocessError, AssertionError):
                self.kill_member(name)
        if self.etcd is not None and self.etcd.poll() is None:
            self.etcd.kill()
            self.etcd.wait(timeout=30)


@contextlib.contextmanager
def postgres_cluster(timeout: float = 180.0) -> Iterator[PostgresCluster]:
    """A healthy two-member cluster for the block; every process ended and its base directory
    removed afterwards (also when the block or the start fails)."""
    base = Path(tempfile.mkdtemp(prefix="cnnect-pgcluster-"))
    cluster = PostgresCluster(base)
    try:
        cluster.start(timeout)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)
