"""A consumer process killed after committing a message's effects and before acknowledging
it: the broker redelivers the message, the next consumer finds it in its inbox and drops it,
so the order is billed once, not twice."""

from __future__ import annotations

import signal
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

from shared.events.consumer import EventConsumer, Message
from shared.events.contracts import decode_envelope
from shared.events.incoming import Outcome
from shared.events.store import EventStore
from shared.events.topology import Topology
from tests.support.bus import orders_relay, running_consumer, running_relay
from tests.support.consumer_process import start_consumer_process
from tests.support.infra import Infra
from tests.support.ledger import (
    CONSUMER,
    append_order,
    create_ledger,
    declare_billing,
    inbox_ids,
    ledger_consumer,
    queue_depth,
    read_ledger,
)
from tests.support.waiting import eventually_equal, wait_until

ORDERS = 5


class RecordingConsumer(EventConsumer):
    """An EventConsumer that remembers, per event, each delivery's redelivered flag and outcome."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deliveries: dict[UUID, list[tuple[bool, Outcome]]] = {}

    def handle_batch(self, messages: list[Message]) -> list[Outcome]:
        outcomes = super().handle_batch(messages)
        for message, outcome in zip(messages, outcomes, strict=True):
            event_id = decode_envelope(message.body).event_id
            self.deliveries.setdefault(event_id, []).append((message.redelivered, outcome))
        return outcomes


def test_a_consumer_killed_after_its_commit_and_before_its_ack_applies_each_event_once(
    infra: Infra, store: EventStore, database_url: str, topology: Topology, tmp_path: Path
) -> None:
    create_ledger(store)
    declare_billing(topology, infra.amqp_url)
    order_ids = [f"ord-crash-{n}-{uuid.uuid4().hex[:6]}" for n in range(ORDERS)]
    for order_id in order_ids:
        append_order(store, order_id)
    relay = orders_relay(database_url, infra.amqp_url, topology)
    with running_relay(relay):
        wait_until(lambda: relay.stats.published == ORDERS, "the orders are published")
    assert queue_depth(infra.amqp_url, *topology.queues(CONSUMER)) == ORDERS

    # A consumer process that commits its first messages' effects (one, or the batch that
    # arrived together), then dies before the ack.
    with open(tmp_path / "consumer.log", "wb") as consumer_log:
        crashing = start_consumer_process(
            database_url=database_url,
            amqp_url=infra.amqp_url,
            namespace=topology.namespace,
            delivery_limit=topology.delivery_limit,
            crash_after_first_commit=True,
            log=consumer_log,
        )
        assert crashing.wait(timeout=60) == -signal.SIGKILL
    after_crash = read_ledger(store)
    committed = set(after_crash.pids)
    assert 1 <= after_crash.rows == len(committed) <= ORDERS, "each committed once"
    assert {pid for pids in after_crash.pids.values() for pid in pids} == {crashing.pid}
    assert inbox_ids(store) == committed
    # Not acked: the broker still holds every message, the committed one included.
    eventually_equal(lambda: queue_depth(infra.amqp_url, *topology.queues(CONSUMER)), ORDERS)

    # A healthy consumer takes over.
    consumer = ledger_consumer(
        store=store, amqp_url=infra.amqp_url, topology=topology, consumer_class=RecordingConsumer
    )
    assert isinstance(consumer, RecordingConsumer)
    with running_consumer(consumer):
        wait_until(
            lambda: len(consumer.deliveries) == ORDERS,
            "the new consumer has received every message",
        )

    for event_id in committed:
        assert consumer.deliveries[event_id] == [(True, Outcome.DUPLICATE)]
    assert consumer.stats.duplicate == len(committed)
    assert consumer.stats.applied == ORDERS - len(committed)
    ledger = read_ledger(store)
    assert ledger.applied_more_than_once() == {}
    assert ledger.rows == ledger.distinct == ORDERS
    assert set(ledger.order_ids) == set(order_ids)
    for event_id in committed:
        assert ledger.pids[event_id] == [crashing.pid], "applied by the crashed process only"
    assert queue_depth(infra.amqp_url, *topology.queues(CONSUMER)) == 0
