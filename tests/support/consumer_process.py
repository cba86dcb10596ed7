"""The "billing" ledger consumer as a process of its own, which can be made to die between
committing a message's effects and acknowledging it.

    python -m tests.support.consumer_process --database-url URL --amqp-url URL \
        --namespace NS [--delivery-limit N] [--crash-after-first-commit]

With `--crash-after-first-commit` the process SIGKILLs itself as soon as the first message
is APPLIED, i.e. after the database transaction (inbox row and effects) committed and before
`basic_ack` was sent, which is the worst moment for a consumer to crash."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from shared.events.consumer import EventConsumer, Outcome
from shared.events.contracts import CONTRACTS
from shared.events.database import open_pool
from shared.events.store import EventStore
from shared.events.topology import Topology
from tests.support.ledger import ledger_consumer

REPO_ROOT = Path(__file__).resolve().parents[2]


class CrashBeforeAckConsumer(EventConsumer):
    """Dies (SIGKILL, no clean-up at all) right after the first APPLIED outcome.

    `EventConsumer._deliver` calls `handle` and acks only after it returned; killing the
    process at the end of `handle` is killing it after the commit and before the ack."""

    def handle(self, body: bytes, routing_key: str, *, last_try: bool = False) -> Outcome:
        outcome = super().handle(body, routing_key, last_try=last_try)
        if outcome is Outcome.APPLIED:
            logging.getLogger(__name__).warning("applied a message; dying before the ack")
            os.kill(os.getpid(), signal.SIGKILL)
        return outcome


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--delivery-limit", type=int, default=3)
    parser.add_argument("--prefetch", type=int, default=50)
    parser.add_argument("--crash-after-first-commit", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format=f"%(asctime)s consumer[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("pika").setLevel(logging.WARNING)
    pool = open_pool(args.database_url, max_size=2)
    consumer = ledger_consumer(
        store=EventStore(pool, CONTRACTS),
        amqp_url=args.amqp_url,
        topology=Topology(namespace=args.namespace, delivery_limit=args.delivery_limit),
        consumer_class=CrashBeforeAckConsumer if args.crash_after_first_commit else EventConsumer,
        prefetch=args.prefetch,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        consumer.run(stop)
    finally:
        pool.close()


def start_consumer_process(
    *,
    database_url: str,
    amqp_url: str,
    namespace: str,
    delivery_limit: int,
    crash_after_first_commit: bool,
    log: IO[bytes] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `python -m tests.support.consumer_process`; the caller waits for or ends it."""
    command = [
        sys.executable,
        "-m",
        "tests.support.consumer_process",
        "--database-url",
        database_url,
        "--amqp-url",
        amqp_url,
        "--namespace",
        namespace,
        "--delivery-limit",
        str(delivery_limit),
    ]
    if crash_after_first_commit:
        command.append("--crash-after-first-commit")
    return subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
