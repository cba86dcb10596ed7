"""The kit carries the correlation id from a stored event to the AMQP message and into the
handler that consumes it, counts what it does, and tells a rebuild's progress."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import psycopg
from prometheus_client import REGISTRY

from shared.events.incoming import IncomingEvent
from shared.events.projections import ProjectionRunner
from shared.events.store import EventStore, NewEvent, RecordedEvent, Row, Transaction
from shared.events.topology import Topology
from shared.observability.context import correlation_id, current_correlation_id, current_order_id
from tests.support.bus import (
    drain_queue,
    orders_relay,
    running_consumer,
    running_relay,
)
from tests.support.infra import Infra
from tests.support.ledger import ledger_consumer, placed_order
from tests.support.waiting import wait_until


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_correlation_id_travels_from_the_stored_event_into_what_its_consumer_appends(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    topology.declare_all(
        infra.amqp_url, {"billing": ["orders.OrderPlaced"], "probe": ["orders.OrderPlaced"]}
    )
    event = placed_order("ord-corr")
    cid = event.metadata["correlation_id"]
    store.append("order-ord-corr", [event], 0)
    seen: list[tuple[str | None, str | None]] = []

    def handler(tx: Transaction, incoming: IncomingEvent) -> None:
        seen.append((current_correlation_id(), current_order_id()))
        # What services' command metadata does: the current id, else a new one.
        noted = NewEvent(
            "Noted", {"order_id": "ord-corr"}, metadata={"correlation_id": correlation_id()}
        )
        tx.append("note-ord-corr", [noted], 0)

    consumer = ledger_consumer(
        store=store, amqp_url=infra.amqp_url, topology=topology, handler=handler
    )
    relay = orders_relay(database_url, infra.amqp_url, topology)
    applied = {"service": "billing", "type": "OrderPlaced", "outcome": "applied"}
    published = {"service": "orders", "type": "OrderPlaced"}
    before = (
        _count("cnnect_events_consumed_total", **applied),
        _count("cnnect_events_published_total", **published),
    )
    with running_relay(relay), running_consumer(consumer):
        wait_until(lambda: bool(store.read_stream("note-ord-corr")), "the handler appended")

    assert seen == [(cid, "ord-corr")]
    assert store.read_stream("note-ord-corr")[0].metadata["correlation_id"] == cid
    assert current_correlation_id() is None  # the consumer thread's scope ended with it
    [(properties, _body)] = [
        message
        for queue in topology.queues("probe")
        for message in drain_queue(infra.amqp_url, queue)
    ]
    assert properties.correlation_id == cid
    assert _count("cnnect_events_consumed_total", **applied) == before[0] + 1
    assert _count("cnnect_events_published_total", **published) == before[1] + 1


class Counting:
    """A projection that counts events per type."""

    name = "counting"
    tables: Sequence[str] = ("obs_counts",)
    schema = "CREATE TABLE IF NOT EXISTS obs_counts (type text PRIMARY KEY, n int NOT NULL)"

    def apply(self, conn: psycopg.Connection[Row], event: RecordedEvent) -> None:
        conn.execute(
            "INSERT INTO obs_counts VALUES (%s, 1) "
            "ON CONFLICT (type) DO UPDATE SET n = obs_counts.n + 1",
            (event.type,),
        )


def test_a_rebuild_reports_each_batch_and_they_add_up_to_the_total(store: EventStore) -> None:
    for n in range(25):
        store.append(f"s-{n}", [NewEvent("Counted", {"n": n}) for _ in range(10)], 0)
    runner = ProjectionRunner(store, Counting(), batch_size=40)
    batches: list[int] = []
    assert runner.total() == 250
    assert runner.rebuild(on_batch=batches.append) == 250
    assert sum(batches) == 250 and len(batches) == 7
    assert uuid.UUID(correlation_id())  # no scope left over: a fresh id
