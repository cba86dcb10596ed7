"""`cnnect-console tail [--order ID] [--type NAME]`: every integration event as it happens.

It binds its own temporary queue (exclusive, auto-deleted) to the event exchange, as staff
consoles do (R27), and prints one line per event; nothing it does affects the services."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator

from shared.config import load_settings
from shared.events.bus import blocking_connection
from shared.events.contracts import Envelope, decode_envelope
from shared.events.errors import ContractError
from shared.events.topology import Topology


def follow(
    amqp_url: str,
    topology: Topology,
    routing_key: str = "#",
    idle: Callable[[], bool] = lambda: False,
) -> Iterator[Envelope]:
    """Envelopes published from now on, until `idle()` says stop during a quiet second."""
    for envelope in follow_with_pauses(amqp_url, topology, routing_key):
        if envelope is not None:
            yield envelope
        elif idle():
            return


def follow_with_pauses(
    amqp_url: str, topology: Topology, routing_key: str = "#"
) -> Iterator[Envelope | None]:
    """Envelopes as they are published, and None after each quiet second (a heartbeat)."""
    with blocking_connection(amqp_url) as connection:
        channel = connection.channel()
        declared = channel.queue_declare("", exclusive=True, auto_delete=True)
        queue = declared.method.queue
        channel.queue_bind(queue, topology.exchange, routing_key=routing_key)
        for method, _properties, body in channel.consume(
            queue, auto_ack=True, inactivity_timeout=1.0
        ):
            if method is None:
                yield None
                continue
            try:
                yield decode_envelope(body)
            except ContractError:
                continue  # not ours to judge: the consumers dead-letter it


def line(envelope: Envelope) -> str:
    """One event as one line of JSON."""
    return json.dumps(
        {
            "at": envelope.occurred_at.isoformat(),
            "type": envelope.type,
            "producer": envelope.producer,
            "order": envelope.ordering_key,
            "data": envelope.data,
        },
        separators=(",", ":"),
    )


def main(argv: list[str] | None = None) -> int:
    """The console's command line."""
    parser = argparse.ArgumentParser(prog="cnnect-console")
    sub = parser.add_subparsers(dest="command", required=True)
    tail = sub.add_parser("tail", help="print integration events as they happen")
    tail.add_argument("--order", help="only this order's events")
    tail.add_argument("--type", dest="event_type", help="only events of this type")
    args = parser.parse_args(argv)
    settings = load_settings("gateway")
    key = f"*.{args.event_type}" if args.event_type else "#"
    try:
        for envelope in follow(settings.amqp_url, Topology(settings.namespace), key):
            if args.order and envelope.ordering_key != args.order:
                continue
            print(line(envelope), flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
