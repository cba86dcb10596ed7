"""Test helpers around the bus: running a relay or consumer in a thread, reading queues,
events as a relay publishes them."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pika

from shared.events.bus import blocking_connection
from shared.events.consumer import EventConsumer
from shared.events.contracts import CONTRACTS, Envelope
from shared.events.relay import OutboxRelay
from shared.events.topology import Topology


def published(
    event_type: str,
    producer: str,
    stream_id: str,
    version: int,
    data: dict[str, Any],
    ordering_key: str,
    schema_version: int = 1,
) -> Envelope:
    """The `version`th event of `stream_id` as a relay publishes it: a new event id and
    correlation id, stamped now, caused by no other event."""
    return Envelope(
        event_id=uuid.uuid4(),
        type=event_type,
        schema_version=schema_version,
        occurred_at=datetime.now(UTC),
        correlation_id=uuid.uuid4(),
        causation_id=None,
        producer=producer,
        stream_id=stream_id,
        stream_version=version,
        ordering_key=ordering_key,
        data=data,
    )


def orders_relay(
    database_url: str, amqp_url: str, topology: Topology, **options: Any
) -> OutboxRelay:
    """The orders service's relay over `database_url` (`options`: OutboxRelay's tuning)."""
    return OutboxRelay(
        database_url=database_url,
        amqp_url=amqp_url,
        topology=topology,
        producer="orders",
        contracts=CONTRACTS,
        **options,
    )


@contextmanager
def running_relay(relay: OutboxRelay) -> Iterator[OutboxRelay]:
    """The relay publishing in a background thread for the duration of the block."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=lambda: loop.run_until_complete(relay.run(stop)), daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)


@contextmanager
def running_consumer(consumer: EventConsumer) -> Iterator[EventConsumer]:
    """The consumer consuming in a background thread for the duration of the block."""
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield consumer
    finally:
        stop.set()
        thread.join(timeout=15)


def drain_queue(amqp_url: str, queue: str) -> list[tuple[pika.BasicProperties, bytes]]:
    """Take every message now in `queue` (acking them), in queue order.

    By consuming, not by `basic.get`, which single-active-consumer quorum queues refuse."""
    messages: list[tuple[Any, bytes]] = []
    with blocking_connection(amqp_url) as connection:
        channel = connection.channel()
        count = channel.queue_declare(queue, passive=True).method.message_count
        if count == 0:
            return messages
        for method, properties, body in channel.consume(queue, inactivity_timeout=10):
            if method is None:
                raise AssertionError(f"{queue} held {count} messages, {len(messages)} came")
            channel.basic_ack(method.delivery_tag)
            messages.append((properties, body))
            if len(messages) == count:
                break
        channel.cancel()
    return messages
