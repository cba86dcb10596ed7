"""`cnnect-console tail [--order ID] [--type NAME]`: every integration event as it happens.

It binds its own temporary queue (exclusive, auto-deleted) to the event exchange, as staff
consoles do (R27), and prints one line per event; nothing it does affects the services."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any
from zoneinfo import ZoneInfo

from pika.adapters.blocking_connection import BlockingChannel

from services.gateway.config import load_config
from services.gateway.event_words import sentence, title
from shared.config import load_settings
from shared.events.bus import blocking_connection, broker_errors
from shared.events.contracts import Envelope, decode_envelope
from shared.events.errors import BrokerUnavailableError, ContractError
from shared.events.topology import Topology
from shared.personal.personal_data import PersonalData
from shared.personal.postgres_keyring import open_keyring

log = logging.getLogger(__name__)
# A broken connection is opened again on a live broker node this many times in a row, at most
# RECONNECT_BACKOFF_MAX_S apart, before the subscription gives up (the SSE response then ends).
RECONNECT_ATTEMPTS = 8
RECONNECT_BACKOFF_MAX_S = 4.0


class Subscription:
    """A temporary queue bound to the event exchange, then the envelopes it receives.

    `open` declares and binds the queue before it returns, so every event published after
    that is kept for the subscriber, even one published before it starts reading: say
    "connected" or "ready" only once it has returned. The queue is exclusive and auto-deleted,
    so closing the connection (or losing it) deletes it.

    When the connection breaks (its broker node died), the subscription binds a new queue on
    a live node of CNNECT_AMQP_URL and carries on: a live view, it misses only the events
    published while it reconnects."""

    def __init__(
        self,
        channel: BlockingChannel,
        queue: str,
        resources: contextlib.ExitStack,
        reopen: tuple[str, Topology, str] | None = None,
    ) -> None:
        self._channel = channel
        self.queue = queue
        self._resources = resources
        self._reopen = reopen

    @classmethod
    def open(cls, amqp_url: str, topology: Topology, routing_key: str = "#") -> Subscription:
        """Connect, declare the temporary queue and bind it to the event exchange."""
        channel, queue, resources = _bind(amqp_url, topology, routing_key)
        return cls(channel, queue, resources, (amqp_url, topology, routing_key))

    def with_pauses(self) -> Iterator[Envelope | None]:
        """Envelopes as they are published, and None after each quiet second (a heartbeat)."""
        while True:
            try:
                with broker_errors():
                    for method, _properties, body in self._channel.consume(
                        self.queue, auto_ack=True, inactivity_timeout=1.0
                    ):
                        if method is None:
                            yield None
                            continue
                        try:
                            yield decode_envelope(body)
                        except ContractError:
                            continue  # not ours to judge: the consumers dead-letter it
                return
            except BrokerUnavailableError as exc:
                if self._reopen is None:
                    raise
                log.warning("console subscription lost its broker (%r); reconnecting", exc)
                self._reconnect(*self._reopen)

    def _reconnect(self, amqp_url: str, topology: Topology, routing_key: str) -> None:
        """Bind a new queue on a live node, a bounded number of tries (the last error else)."""
        self.close()
        backoff = 0.25
        for attempt in range(RECONNECT_ATTEMPTS):
            try:
                self._channel, self.queue, self._resources = _bind(amqp_url, topology, routing_key)
                return
            except BrokerUnavailableError:
                if attempt == RECONNECT_ATTEMPTS - 1:
                    raise
                time.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_BACKOFF_MAX_S)

    def envelopes(self) -> Iterator[Envelope]:
        """Envelopes as they are published, for as long as the caller reads."""
        for envelope in self.with_pauses():
            if envelope is not None:
                yield envelope

    def close(self) -> None:
        """Close the connection, which deletes the queue; closing twice does nothing."""
        self._resources.close()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _bind(
    amqp_url: str, topology: Topology, routing_key: str
) -> tuple[BlockingChannel, str, contextlib.ExitStack]:
    """A channel on the first live broker node, with a temporary queue bound to the exchange."""
    resources = contextlib.ExitStack()
    try:
        connection = resources.enter_context(blocking_connection(amqp_url))
        with broker_errors():
            channel = connection.channel()
            declared = channel.queue_declare("", exclusive=True, auto_delete=True)
            queue: str = declared.method.queue
            channel.queue_bind(queue, topology.exchange, routing_key=routing_key)
    except BaseException:
        resources.close()
        raise
    return channel, queue, resources


def line(envelope: Envelope, zone: str = "UTC", reveal: Callable[[Any], Any] | None = None) -> str:
    """One event as one line of JSON, with its time in `zone` and its name and key facts in
    words (R27); text as typed (Chinese and Japanese as characters, not \\u escapes). A
    customer's texts travel sealed (issue 21): `reveal` (PersonalData.reveal) opens them, or
    says "forgotten customer", before staff read them."""
    local = envelope.occurred_at.astimezone(ZoneInfo(zone))
    data = reveal(envelope.data) if reveal is not None else envelope.data
    return json.dumps(
        {
            "at": envelope.occurred_at.isoformat(),
            "time": f"{local.day} {local:%b %H:%M:%S}",
            "type": envelope.type,
            "title": title(envelope.type),
            "summary": sentence(envelope.type, data),
            "producer": envelope.producer,
            "order": envelope.ordering_key,
            "data": data,
        },
        separators=(",", ":"),
        ensure_ascii=False,
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
    zone = load_config(
        settings
    ).staff_timezone  # the times staff read in the console read the same here
    reveal = PersonalData(open_keyring(settings, "console")).reveal
    # `<producer>.<EventName>.<partition>`: the type is the second word; `#` also matches a
    # key without a partition.
    key = f"*.{args.event_type}.#" if args.event_type else "#"
    try:
        with Subscription.open(settings.amqp_url, Topology(settings.namespace), key) as events:
            # Bound by now: every event from this line on will be printed.
            print(f"cnnect-console: listening ({key})", file=sys.stderr, flush=True)
            for envelope in events.envelopes():
                if args.order and envelope.ordering_key != args.order:
                    continue
                print(line(envelope, zone, reveal), flush=True)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
