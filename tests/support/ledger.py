"""A consumer effect that shows double application: every applied event adds a row to
`applied_events`, which deliberately has no UNIQUE constraint. An event applied twice leaves
two rows, so "exactly once" is `rows == distinct == expected`.

Also: the OrderPlaced integration events the fault tests append, the "billing" consumer that
applies them into the ledger, and small broker probes."""

from __future__ import annotations

import itertools
import os
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from shared.events.bus import blocking_connection
from shared.events.consumer import EventConsumer
from shared.events.contracts import CONTRACTS, Envelope
from shared.events.incoming import Handler, IncomingEvent
from shared.events.partitions import partition_of
from shared.events.relay import CHECKPOINT
from shared.events.store import START, EventStore, NewEvent, Position, Transaction
from shared.events.topology import Topology
from tests.support.bus import published

CONSUMER = "billing"
ROUTING_KEY = "orders.OrderPlaced"

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS applied_events (
    event_id   uuid NOT NULL,
    order_id   text NOT NULL,
    pid        integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""


def create_ledger(store: EventStore) -> None:
    """Create `applied_events` in the store's database."""
    store.transact(lambda tx: tx.conn.execute(LEDGER_SCHEMA))


def record_application(tx: Transaction, event: IncomingEvent) -> None:
    """The handler: one ledger row per application, written in the consumer's transaction."""
    tx.conn.execute(
        "INSERT INTO applied_events (event_id, order_id, pid) VALUES (%s, %s, %s)",
        (event.envelope.event_id, event.data["order_id"], os.getpid()),
    )


@dataclass(frozen=True)
class Ledger:
    """What the ledger holds: how often each event was applied, and by which process."""

    applications: Counter[UUID]
    order_ids: Counter[str]
    pids: dict[UUID, list[int]]

    @property
    def rows(self) -> int:
        """Applications in all (an event applied twice counts twice)."""
        return sum(self.applications.values())

    @property
    def distinct(self) -> int:
        """Distinct events applied."""
        return len(self.applications)

    def applied_more_than_once(self) -> dict[UUID, int]:
        """Events with more than one application (must be empty)."""
        return {event_id: n for event_id, n in self.applications.items() if n > 1}


def read_ledger(store: EventStore) -> Ledger:
    """The current content of `applied_events`."""
    rows = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT event_id, order_id, pid FROM applied_events ORDER BY applied_at"
        ).fetchall()
    )
    pids: dict[UUID, list[int]] = {}
    for row in rows:
        pids.setdefault(row["event_id"], []).append(row["pid"])
    return Ledger(
        applications=Counter(row["event_id"] for row in rows),
        order_ids=Counter(row["order_id"] for row in rows),
        pids=pids,
    )


def placed_order(order_id: str) -> NewEvent:
    """An OrderPlaced integration event (the contract's example data, schema version 2)."""
    data = dict(CONTRACTS.contract("OrderPlaced").example, order_id=order_id)
    return NewEvent(
        "OrderPlaced",
        data,
        schema_version=2,
        metadata={"correlation_id": str(uuid.uuid4()), "ordering_key": order_id},
    )


def order_envelope(order_id: str, version: int) -> Envelope:
    """The `version`th event of one order, as a relay publishes it (an OrderPlaced payload,
    which the ledger applies whatever the version)."""
    data = dict(CONTRACTS.contract("OrderPlaced").example, order_id=order_id)
    return published("OrderPlaced", "orders", f"order-{order_id}", version, data, order_id, 2)


def partition_markers(topology: Topology) -> list[str]:
    """One new order id in each partition, partition 0 first.

    Each partition queue is FIFO, the queues together are not: once a marker appended last is
    applied in every partition, every event published before the markers has been consumed."""
    prefix = uuid.uuid4().hex[:6]
    markers: dict[int, str] = {}
    for n in itertools.count():
        order_id = f"ord-marker-{prefix}-{n}"
        markers.setdefault(partition_of(order_id, topology.partitions), order_id)
        if len(markers) == topology.partitions:
            return [markers[k] for k in range(topology.partitions)]
    raise AssertionError("unreachable")  # pragma: no cover


def append_order(store: EventStore, order_id: str) -> NewEvent:
    """Append one OrderPlaced event as the first event of its own stream `order-<id>`."""
    event = placed_order(order_id)
    store.append(f"order-{order_id}", [event], 0)
    return event


def ledger_consumer(
    *,
    store: EventStore,
    amqp_url: str,
    topology: Topology,
    handler: Handler = record_application,
    consumer_class: type[EventConsumer] = EventConsumer,
    prefetch: int = 50,
    name: str = CONSUMER,
    **extra: Any,
) -> EventConsumer:
    """The "billing" consumer of OrderPlaced (or another `name`), applying each event
    through `handler`."""
    return consumer_class(
        name=name,
        store=store,
        amqp_url=amqp_url,
        topology=topology,
        contracts=CONTRACTS,
        handlers={"OrderPlaced": handler},
        routing_keys=[ROUTING_KEY],
        prefetch=prefetch,
        **{"held_retry_interval": 0.5, **extra},
    )


def inbox_ids(store: EventStore, consumer: str = CONSUMER) -> set[UUID]:
    """The message ids `consumer` recorded in its inbox."""
    rows = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT message_id FROM inbox WHERE consumer = %s", (consumer,)
        ).fetchall()
    )
    return {row["message_id"] for row in rows}


def relay_checkpoint(store: EventStore) -> Position:
    """Where the outbox relay's checkpoint stands (START when it has none yet)."""
    row = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT tx_id::text AS tx_id, position FROM checkpoints WHERE name = %s",
            (CHECKPOINT,),
        ).fetchone()
    )
    return Position(int(row["tx_id"]), int(row["position"])) if row else START


def relay_lag(store: EventStore) -> int:
    """How many stored events the relay has not published (and checkpointed) yet."""
    checkpoint = relay_checkpoint(store)
    return store.transact(lambda tx: tx.count_after(checkpoint))


def queue_depth(amqp_url: str, *queues: str) -> int:
    """Messages ready in `queues` together (unacknowledged deliveries are not counted)."""
    with blocking_connection(amqp_url) as connection:
        channel = connection.channel()
        return sum(
            int(channel.queue_declare(queue, passive=True).method.message_count) for queue in queues
        )


def declare_billing(
    topology: Topology, amqp_url: str, keys: Iterable[str] = (ROUTING_KEY,)
) -> None:
    """Declare the exchanges and the billing queue bound to `keys`."""
    topology.declare_all(amqp_url, {CONSUMER: list(keys)})
