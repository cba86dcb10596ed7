"""The outbox relay of the "orders" producer as a process of its own, for fault tests that kill
it with SIGKILL at arbitrary moments and start it again.

    python -m tests.support.relay_process --database-url URL --amqp-url URL --namespace NS

It runs `shared.events.relay.run_relay` (so SIGTERM/SIGINT stop it cleanly) and logs to
stderr. `start_relay_process` starts one from a test."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Sequence
from typing import IO

from shared.events.contracts import CONTRACTS
from shared.events.relay import OutboxRelay, run_relay
from shared.events.topology import Topology
from tests.support.module_process import connection_parser, log_to_stderr, start_module

PRODUCER = "orders"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = connection_parser(__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--idle-wait", type=float, default=0.005)
    parser.add_argument("--max-backoff", type=float, default=1.0)
    return parser.parse_args(argv)


def build_relay(args: argparse.Namespace) -> OutboxRelay:
    """The relay of the "orders" producer with the real contracts."""
    return OutboxRelay(
        database_url=args.database_url,
        amqp_url=args.amqp_url,
        topology=Topology(namespace=args.namespace),
        producer=PRODUCER,
        contracts=CONTRACTS,
        batch_size=args.batch_size,
        idle_wait=args.idle_wait,
        max_backoff=args.max_backoff,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    log_to_stderr("relay", "aiormq")
    run_relay(build_relay(args))


def start_relay_process(
    *,
    database_url: str,
    amqp_url: str,
    namespace: str,
    log: IO[bytes] | None = None,
    batch_size: int = 1000,
    idle_wait: float = 0.005,
    max_backoff: float = 1.0,
) -> subprocess.Popen[bytes]:
    """Start `python -m tests.support.relay_process` with this interpreter; the caller ends it."""
    args = [
        "--batch-size",
        str(batch_size),
        "--idle-wait",
        str(idle_wait),
        "--max-backoff",
        str(max_backoff),
    ]
    return start_module("tests.support.relay_process", database_url, amqp_url, namespace, args, log)


if __name__ == "__main__":
    main()
