"""A message whose handler always fails does not block the queue: it is retried up to the
queue's delivery limit, then parked in the dead-letter queue with the reason, and the orders
placed after it are billed as usual."""

from __future__ import annotations

import threading
import uuid

from shared.events.contracts import decode_envelope
from shared.events.incoming import IncomingEvent
from shared.events.store import EventStore, Transaction
from shared.events.topology import Topology
from tests.support.bus import drain_queue, orders_relay, running_consumer, running_relay
from tests.support.infra import Infra
from tests.support.ledger import (
    CONSUMER,
    ROUTING_KEY,
    append_order,
    create_ledger,
    declare_billing,
    inbox_ids,
    ledger_consumer,
    queue_depth,
    read_ledger,
    record_application,
)
from tests.support.waiting import wait_until


class PoisonedHandler:
    """Records orders in the ledger, but always fails on the poisoned order (after writing)."""

    def __init__(self, poisoned_order: str) -> None:
        self.poisoned_order = poisoned_order
        self.attempts = 0
        self._lock = threading.Lock()

    def __call__(self, tx: Transaction, event: IncomingEvent) -> None:
        record_application(tx, event)  # rolled back with the failure: no trace may remain
        if event.data["order_id"] == self.poisoned_order:
            with self._lock:
                self.attempts += 1
            raise RuntimeError(f"no exchange rate for {self.poisoned_order}")


def test_a_message_that_always_fails_is_dead_lettered_with_its_reason_and_later_ones_apply(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    create_ledger(store)
    declare_billing(topology, infra.amqp_url)
    poisoned_order = f"ord-poison-{uuid.uuid4().hex[:6]}"
    poisoned = append_order(store, poisoned_order)
    before = [f"ord-before-{n}-{uuid.uuid4().hex[:6]}" for n in range(5)]
    after = [f"ord-after-{n}-{uuid.uuid4().hex[:6]}" for n in range(3)]
    for order_id in before:
        append_order(store, order_id)
    handler = PoisonedHandler(poisoned_order)
    consumer = ledger_consumer(
        store=store, amqp_url=infra.amqp_url, topology=topology, handler=handler, prefetch=10
    )
    relay = orders_relay(database_url, infra.amqp_url, topology)
    dead_letter_queue = topology.dead_letter_queue(CONSUMER)

    with running_relay(relay), running_consumer(consumer):
        wait_until(
            lambda: set(read_ledger(store).order_ids) == set(before),
            "the orders published after the poisoned one are applied",
        )
        wait_until(
            lambda: queue_depth(infra.amqp_url, dead_letter_queue) == 1,
            "the poisoned message is dead-lettered",
        )
        # The consumer is not stuck after dead-lettering: new orders still go through.
        for order_id in after:
            append_order(store, order_id)
        wait_until(
            lambda: set(read_ledger(store).order_ids) == {*before, *after},
            "orders placed after the dead-lettering are applied",
        )

    # Each delivery is tried alone; one that arrived with others is tried in their batch
    # first (rolled back with it), then alone.
    assert topology.delivery_limit <= handler.attempts <= 2 * topology.delivery_limit
    assert consumer.stats.requeued == topology.delivery_limit - 1
    assert consumer.stats.dead_lettered == 1
    [(properties, body)] = drain_queue(infra.amqp_url, dead_letter_queue)
    assert decode_envelope(body).event_id == poisoned.event_id
    headers = properties.headers or {}
    assert headers["x-cnnect-reason"] == f"RuntimeError: no exchange rate for {poisoned_order}"
    assert headers["x-cnnect-routing-key"] == topology.routing_key(ROUTING_KEY, poisoned_order)
    assert headers["x-cnnect-consumer"] == CONSUMER
    ledger = read_ledger(store)
    assert poisoned_order not in ledger.order_ids, "the failed attempts left no effect"
    assert ledger.rows == ledger.distinct == len(before) + len(after)
    assert poisoned.event_id not in inbox_ids(store)
    assert queue_depth(infra.amqp_url, *topology.queues(CONSUMER)) == 0
