"""The "billing" ledger consumer as a process of its own, which can be made to die between
committing a message's effects and acknowledging it.

    python -m tests.support.consumer_process --database-url URL --amqp-url URL \
        --namespace NS [--delivery-limit N] [--crash-after-first-commit] \
        [--partitions P --worker-index I --workers N --standby-delay S] [--handler-delay S]

With `--crash-after-first-commit` the process SIGKILLs itself as soon as the first message
is APPLIED, i.e. after the database transaction (inbox row and effects) committed and before
`basic_ack` was sent, which is the worst moment for a consumer to crash."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from typing import IO

from shared.config import DEFAULT_PARTITIONS
from shared.events.consumer import EventConsumer, Message
from shared.events.contracts import CONTRACTS
from shared.events.database import open_pool
from shared.events.incoming import Handler, IncomingEvent, Outcome
from shared.events.partitions import Placement
from shared.events.store import EventStore, Transaction
from shared.events.topology import Topology
from tests.support.ledger import ledger_consumer, record_application
from tests.support.module_process import connection_parser, log_to_stderr, start_module


class CrashBeforeAckConsumer(EventConsumer):
    """Dies (SIGKILL, no clean-up at all) right after the first APPLIED outcome.

    The consumer acks what `handle_batch` applied only after it returned; killing the process
    at the end of `handle_batch` is killing it after the commit and before the ack."""

    def handle_batch(self, messages: list[Message]) -> list[Outcome]:
        outcomes = super().handle_batch(messages)
        if Outcome.APPLIED in outcomes:
            logging.getLogger(__name__).warning("applied a message; dying before the ack")
            os.kill(os.getpid(), signal.SIGKILL)
        return outcomes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = connection_parser()
    parser.add_argument("--delivery-limit", type=int, default=3)
    parser.add_argument("--prefetch", type=int, default=50)
    parser.add_argument("--crash-after-first-commit", action="store_true")
    parser.add_argument("--partitions", type=int, default=DEFAULT_PARTITIONS)
    parser.add_argument("--worker-index", type=int, default=0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--standby-delay", type=float, default=0.0)
    parser.add_argument("--handler-delay", type=float, default=0.0)
    return parser.parse_args(argv)


def slowed(delay: float) -> Handler:
    """The ledger handler taking `delay` seconds more per message (a worker under load)."""

    def handle(tx: Transaction, event: IncomingEvent) -> None:
        record_application(tx, event)
        time.sleep(delay)

    return handle


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    log_to_stderr("consumer", "pika")
    pool = open_pool(args.database_url, max_size=2)
    consumer = ledger_consumer(
        store=EventStore(pool, CONTRACTS),
        amqp_url=args.amqp_url,
        topology=Topology(
            namespace=args.namespace,
            delivery_limit=args.delivery_limit,
            partitions=args.partitions,
        ),
        handler=slowed(args.handler_delay) if args.handler_delay else record_application,
        consumer_class=CrashBeforeAckConsumer if args.crash_after_first_commit else EventConsumer,
        prefetch=args.prefetch,
        placement=Placement(args.worker_index, args.workers, args.standby_delay),
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
    extra: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Start `python -m tests.support.consumer_process`; the caller waits for or ends it."""
    args = [
        "--delivery-limit",
        str(delivery_limit),
        *extra,
    ]
    if crash_after_first_commit:
        args.append("--crash-after-first-commit")
    return start_module(
        "tests.support.consumer_process", database_url, amqp_url, namespace, args, log
    )


if __name__ == "__main__":
    main()
