"""The relay never skips an event whose transaction commits after a later one's."""

from __future__ import annotations

import dataclasses
import random
import uuid
from typing import Any

import psycopg
from psycopg.rows import dict_row

from shared.events.contracts import CONTRACTS
from shared.events.incoming import IncomingEvent
from shared.events.relay import OutboxRelay
from shared.events.store import EventStore, PostgresTransaction, Transaction
from shared.events.topology import Topology
from tests.support.bus import orders_relay, running_consumer, running_relay
from tests.support.infra import Infra
from tests.support.ledger import ledger_consumer, placed_order
from tests.support.waiting import poll, wait_until


def _open_append(conn: psycopg.Connection[Any], order_id: str) -> None:
    PostgresTransaction(conn, CONTRACTS).append(f"order-{order_id}", [placed_order(order_id)], 0)


def _wait_for_polls(relay: OutboxRelay, count: int) -> None:
    target = relay.stats.polls + count
    wait_until(lambda: relay.stats.polls >= target, f"the relay polled {count} times", timeout=10)


def test_relay_delivers_a_late_committing_event_in_commit_order(
    infra: Infra, store: EventStore, database_url: str, topology: Topology
) -> None:
    received: list[str] = []
    # One partition: the consumer then sees the relay's publish order across all orders (with
    # several, only the events of each order keep their relative order).
    topology = dataclasses.replace(topology, partitions=1)

    def record(tx: Transaction, event: IncomingEvent) -> None:
        received.append(event.data["order_id"])

    topology.declare_all(infra.amqp_url, {"billing": ["orders.OrderPlaced"]})
    consumer = ledger_consumer(
        store=store, amqp_url=infra.amqp_url, topology=topology, handler=record
    )
    relay = orders_relay(database_url, infra.amqp_url, topology)
    rng = random.Random(11)
    rounds = 60
    expected_order: list[tuple[str, str]] = []
    with (
        psycopg.connect(database_url, row_factory=dict_row) as a,
        psycopg.connect(database_url, row_factory=dict_row) as b,
        running_relay(relay),
        running_consumer(consumer),
    ):
        for n in range(rounds):
            early, late = f"{n}-a-{uuid.uuid4().hex[:4]}", f"{n}-b"
            _open_append(a, early)  # takes its transaction id and position first
            _open_append(b, late)
            b.commit()
            # Let the relay poll at least twice while A is still open.
            _wait_for_polls(relay, 2)
            kept_open = rng.random() < 0.5
            expected_order.append((early, late) if kept_open else (late, early))
            if kept_open:
                a.commit()
            else:
                a.rollback()
                _open_append(a, early)
                a.commit()
        poll(lambda: len(received), lambda count: count >= 2 * rounds, timeout=30)
    assert len(received) == len(set(received)) == 2 * rounds
    # Commit order is (transaction id, position): A kept open was published before B although
    # B committed first; A rolled back and appended again comes after B.
    for first, second in expected_order:
        assert received.index(first) < received.index(second), (first, second)
