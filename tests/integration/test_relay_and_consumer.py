"""Relay and consumer against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from shared.events.consumer import EventConsumer, Message
from shared.events.contracts import CONTRACTS, decode_envelope
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent, Outcome
from shared.events.relay import OutboxRelay
from shared.events.store import EventStore, NewEvent, Transaction
from shared.events.topology import Topology
from tests.support.bus import (
    drain_queue,
    orders_relay,
    running_consumer,
    running_relay,
)
from tests.support.infra import Infra
from tests.support.ledger import ledger_consumer, placed_order
from tests.support.waiting import eventually_equal


def _relay(infra: Infra, database_url: str, topology: Topology) -> OutboxRelay:
    return orders_relay(database_url, infra.amqp_url, topology, batch_size=200)


def _consumer(
    infra: Infra, store: EventStore, topology: Topology, handler: Any, name: str = "billing"
) -> EventConsumer:
    return ledger_consumer(
        store=store,
        amqp_url=infra.amqp_url,
        topology=topology,
        handler=handler,
        name=name,
        prefetch=20,
        held_retry_interval=0.2,
    )


@pytest.fixture(autouse=True)
def seen_table(store: EventStore) -> None:
    store.transact(lambda tx: tx.conn.execute("CREATE TABLE seen (order_id text, event_id uuid)"))


def _recording_handler(tx: Transaction, event: IncomingEvent) -> None:
    tx.conn.execute(
        "INSERT INTO seen VALUES (%s, %s)", (event.data["order_id"], event.envelope.event_id)
    )


def _seen(store: EventStore) -> list[str]:
    return store.transact(
        lambda tx: [
            r["order_id"]
            for r in tx.conn.execute("SELECT order_id FROM seen ORDER BY order_id").fetchall()
        ]
    )


def test_appended_integration_events_reach_the_consumer_once_each(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    consumer = _consumer(infra, store, topology, _recording_handler)
    topology.declare_all(infra.amqp_url, {"billing": ["orders.OrderPlaced"]})
    for n in range(30):
        store.append(f"order-{n:03}", [placed_order(f"o{n:03}"), NewEvent("Internal", {"x": n})], 0)
    with running_relay(_relay(infra, database_url, topology)), running_consumer(consumer):
        eventually_equal(lambda: len(_seen(store)), 30)
    assert _seen(store) == [f"o{n:03}" for n in range(30)]
    assert consumer.stats.applied == 30


def test_a_redelivered_message_changes_nothing(
    infra: Infra, store: EventStore, topology: Topology
) -> None:
    consumer = _consumer(infra, store, topology, _recording_handler)
    body = _wire_message("o-dup")
    assert consumer.handle(body, "orders.OrderPlaced") is Outcome.APPLIED
    assert consumer.handle(body, "orders.OrderPlaced") is Outcome.DUPLICATE
    assert _seen(store) == ["o-dup"]


def _wire_message(order_id: str, **overrides: Any) -> bytes:
    envelope = {
        "event_id": str(uuid.uuid4()),
        "type": "OrderPlaced",
        "schema_version": 2,
        "occurred_at": "2026-11-27T09:30:00+00:00",
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "producer": "orders",
        "stream_id": f"order-{order_id}",
        "stream_version": 1,
        "ordering_key": order_id,
        "data": dict(CONTRACTS.contract("OrderPlaced").example, order_id=order_id),
    }
    envelope.update(overrides)
    return json.dumps(envelope).encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "InvalidEventError"),
        (_wire_message("o1", type="NoSuchEvent"), "UnknownEventTypeError"),
        (_wire_message("o2", schema_version=9), "FutureSchemaVersionError"),
        (_wire_message("o3", data={"order_id": "o3"}), "InvalidEventError"),
    ],
    ids=["malformed", "unknown-type", "future-version", "invalid-payload"],
)
def test_poison_messages_are_dead_lettered_with_their_reason(
    infra: Infra, store: EventStore, topology: Topology, body: bytes, reason: str
) -> None:
    consumer = _consumer(infra, store, topology, _recording_handler)
    topology.declare_all(infra.amqp_url, {"billing": ["orders.OrderPlaced"]})
    from shared.events.bus import blocking_connection

    with blocking_connection(infra.amqp_url) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        # A poison message has no ordering key to speak of: any partition's consumer judges it.
        channel.basic_publish(topology.exchange, "orders.OrderPlaced.0", body)
        after_key = topology.routing_key("orders.OrderPlaced", "after")
        channel.basic_publish(topology.exchange, after_key, _wire_message("after"))
    with running_consumer(consumer):
        eventually_equal(lambda: _seen(store), ["after"])
    [(properties, dead)] = drain_queue(infra.amqp_url, topology.dead_letter_queue("billing"))
    assert dead == body
    assert reason in properties.headers["x-cnnect-reason"]


def test_an_event_that_arrives_before_its_dependency_is_held_then_applied(
    infra: Infra, store: EventStore, topology: Topology
) -> None:
    order: list[str] = []

    def handler(tx: Transaction, event: IncomingEvent) -> None:
        if event.data["customer_id"] == "second" and "first" not in order:
            raise NotYetApplicableError("first not seen", event.envelope.ordering_key)
        order.append(event.data["customer_id"])

    consumer = _consumer(infra, store, topology, handler)
    late = _wire_message("o9")
    second = json.loads(late)
    second["data"]["customer_id"] = "second"
    first = json.loads(_wire_message("o9"))
    first["data"]["customer_id"] = "first"
    assert consumer.handle(json.dumps(second).encode(), "k") is Outcome.HELD
    assert consumer.handle(json.dumps(first).encode(), "k") is Outcome.APPLIED
    assert order == ["first", "second"]
    assert consumer.handle(json.dumps(second).encode(), "k") is Outcome.DUPLICATE


def _arrived(*bodies: bytes) -> list[Message]:
    """Messages as one read of the socket hands them over."""
    return [
        Message(tag, "orders.OrderPlaced.0", body, last_try=False)
        for tag, body in enumerate(bodies, start=1)
    ]


def _writers(store: EventStore) -> set[int]:
    """The transactions that wrote the consumer's inbox rows."""
    return store.transact(
        lambda tx: {
            r["xmin"]
            for r in tx.conn.execute("SELECT xmin::text::bigint AS xmin FROM inbox").fetchall()
        }
    )


def test_messages_that_arrive_together_are_applied_in_one_commit(
    infra: Infra, store: EventStore, topology: Topology
) -> None:
    consumer = _consumer(infra, store, topology, _recording_handler)
    batch = _arrived(*(_wire_message(f"o-b{n}") for n in range(5)))
    assert consumer.handle_batch(batch) == [Outcome.APPLIED] * 5
    assert _seen(store) == [f"o-b{n}" for n in range(5)]
    assert len(_writers(store)) == 1, "one transaction wrote every message's inbox row"
    assert consumer.stats.applied == 5
    received = [
        r["message_id"] for r in store.query("SELECT message_id FROM inbox ORDER BY received_at")
    ]
    assert received == [decode_envelope(m.body).event_id for m in batch], "in delivery order"


def test_a_batch_with_a_redelivered_message_applies_each_message_once(
    infra: Infra, store: EventStore, topology: Topology
) -> None:
    consumer = _consumer(infra, store, topology, _recording_handler)
    again = _wire_message("o-again")
    assert consumer.handle(again, "orders.OrderPlaced") is Outcome.APPLIED
    batch = _arrived(_wire_message("o-new1"), again, _wire_message("o-new2"))
    assert consumer.handle_batch(batch) == [Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED]
    assert _seen(store) == ["o-again", "o-new1", "o-new2"]


def test_a_batch_with_a_message_that_must_wait_holds_it_and_applies_the_rest_in_order(
    infra: Infra, store: EventStore, topology: Topology
) -> None:
    applied: list[str] = []

    def handler(tx: Transaction, event: IncomingEvent) -> None:
        if event.data["order_id"] == "o-late" and "o-dependency" not in applied:
            raise NotYetApplicableError("its dependency is not there", "o-late")
        _recording_handler(tx, event)
        applied.append(event.data["order_id"])

    consumer = _consumer(infra, store, topology, handler)
    batch = _arrived(_wire_message("o-1"), _wire_message("o-late"), _wire_message("o-2"))
    assert consumer.handle_batch(batch) == [Outcome.APPLIED, Outcome.HELD, Outcome.APPLIED]
    assert _seen(store) == ["o-1", "o-2"], "the batch's rolled back attempt left nothing twice"
    assert consumer.stats.held == 1
