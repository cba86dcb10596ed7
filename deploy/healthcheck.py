"""Health check of a process without an HTTP port (a worker or a relay) in its container.

Usage: python deploy/healthcheck.py broker

Exits 0 when this container holds an established TCP connection to a broker's port (from
`CNNECT_AMQP_URL`: one URL, or a cluster's nodes separated by commas as shared/config.py
`broker_urls` reads it), 1 otherwise. A worker's consumer and a relay keep their connection open and
reconnect after any failure, so a container without one for several checks in a row has a
process that stopped doing its work. Reads /proc/net/tcp and /proc/net/tcp6 of the container's
network namespace: no extra package, nothing sent on the network."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

ESTABLISHED = "01"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
PROC_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def broker_port(amqp_url: str) -> int:
    """The TCP port of an AMQP URL (5672, or 5671 for amqps, when it names none)."""
    parts = urlsplit(amqp_url)
    return parts.port or (5671 if parts.scheme == "amqps" else 5672)


def broker_ports(amqp_url: str) -> set[int]:
    """The TCP ports of every broker node `CNNECT_AMQP_URL` names (comma-separated URLs).

    Split here rather than with shared/config.py: this script runs alone, without the
    project's packages on its path."""
    return {broker_port(url.strip()) for url in amqp_url.split(",") if url.strip()}


def established_remote_ports(table: str) -> set[int]:
    """Remote ports of the established connections in one /proc/net/tcp[6] table."""
    ports = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) > 3 and fields[3] == ESTABLISHED:
            ports.add(int(fields[2].rsplit(":", 1)[1], 16))
    return ports


def connected(port: int, tables: Iterable[str]) -> bool:
    """Whether any table holds an established connection to `port`."""
    return any(port in established_remote_ports(table) for table in tables)


def main(argv: list[str]) -> int:
    """Check what `argv` names (only `broker` so far)."""
    if argv != ["broker"]:
        print(__doc__, file=sys.stderr)
        return 2
    ports = broker_ports(os.environ.get("CNNECT_AMQP_URL", DEFAULT_AMQP_URL))
    tables = [path.read_text() for path in PROC_TABLES if path.exists()]
    if any(connected(port, tables) for port in ports):
        return 0
    named = "port " + ", ".join(str(port) for port in sorted(ports))
    if len(ports) > 1:
        named = f"ports ({named.removeprefix('port ')})"
    print(f"no established connection to the broker's {named}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
