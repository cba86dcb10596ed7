"""One Patroni member of the harness's replicated PostgreSQL (tests/cluster/postgres.py): its
ports and directories, its processes, and the Patroni configuration it runs with."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from tests.support.ports import free_port
from tests.support.private_postgres import _bin_dir

# Failover within seconds: the leader key lives TTL seconds after its holder's last renewal,
# and Patroni wants loop_wait + 2 * retry_timeout <= ttl. Not shorter: on a busy 2-core machine
# a starved Patroni that misses its renewals for a TTL would fail over for nothing.
TTL_S, LOOP_WAIT_S, RETRY_TIMEOUT_S = 10, 1, 4


@dataclass
class Member:
    """One Patroni member: its ports, directories and (while it runs) its Patroni process."""

    name: str
    base: Path
    pg_port: int = field(default_factory=free_port)
    rest_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        """Its PostgreSQL data directory."""
        return self.base / "data"

    @property
    def api(self) -> str:
        """Its Patroni REST API."""
        return f"http://127.0.0.1:{self.rest_port}"

    def postgres_pids(self) -> list[int]:
        """The postmaster (from postmaster.pid) and all its children, if it runs."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
            parent = psutil.Process(postmaster)
            return [postmaster, *(child.pid for child in parent.children(recursive=True))]
        except (OSError, ValueError, IndexError, psutil.Error):
            return []


def patroni_config(scope: str, etcd_port: int, member: Member) -> dict[str, Any]:
    """`member`'s Patroni configuration, in cluster `scope` whose etcd listens on `etcd_port`."""
    trust = ["local all all trust", "host all all 127.0.0.1/32 trust"]
    return {
        "scope": scope,
        "namespace": "/cnnect/",
        "name": member.name,
        "restapi": {
            "listen": f"127.0.0.1:{member.rest_port}",
            "connect_address": f"127.0.0.1:{member.rest_port}",
        },
        "etcd3": {"hosts": [f"127.0.0.1:{etcd_port}"]},
        "log": {"level": "INFO"},
        "bootstrap": {
            "dcs": {
                "ttl": TTL_S,
                "loop_wait": LOOP_WAIT_S,
                "retry_timeout": RETRY_TIMEOUT_S,
                "maximum_lag_on_failover": 1048576,
                # Synchronous, not strict: a commit is acknowledged only once the standby has
                # it, and Patroni promotes only the member listed as synchronous standby, so
                # no acknowledged commit is lost on failover. Strict mode would also stop all
                # writes while the only standby is away, i.e. after every failover of a
                # two-member cluster until the old primary is back; non-strict lets the new
                # primary carry on alone (and it is not failed over to a stale member then).
                "synchronous_mode": True,
                "synchronous_mode_strict": False,
                "postgresql": {
                    # A killed primary may hold WAL the new one never got: rewind it so it
                    # can follow (needs wal_log_hints or checksums).
                    "use_pg_rewind": True,
                    "use_slots": True,
                    "parameters": {
                        "wal_level": "replica",
                        "hot_standby": "on",
                        "wal_log_hints": "on",
                        "max_connections": 300,  # the whole system plus the load
                        "max_wal_senders": 5,
                        "max_replication_slots": 5,
                        "wal_keep_size": "128MB",
                        "shared_buffers": "32MB",
                        # Only processes are killed here, never the machine: the kernel keeps
                        # what was written. Commits still wait for the synchronous standby.
                        "fsync": "off",
                    },
                },
            },
            "initdb": [{"encoding": "UTF8"}, {"auth": "trust"}, "no-sync"],
        },
        "postgresql": {
            "listen": f"127.0.0.1:{member.pg_port}",
            "connect_address": f"127.0.0.1:{member.pg_port}",
            "data_dir": str(member.data),
            "bin_dir": str(_bin_dir()),
            "pgpass": str(member.base / "pgpass"),
            "authentication": {
                "superuser": {"username": "postgres"},
                "replication": {"username": "postgres"},
                "rewind": {"username": "postgres"},
            },
            "parameters": {"unix_socket_directories": str(member.base)},
            "pg_hba": [*trust, "host replication all 127.0.0.1/32 trust"],
        },
    }


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for its parent to reap it does not)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False
