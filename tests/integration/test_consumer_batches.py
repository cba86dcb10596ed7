"""Money through the batching consumer: whatever way the deliveries of a sequence of payments
come (in batches of any size, in any order, with redeliveries, with payments that must wait
for the order they pay), each payment is credited exactly once and the total credited is the
total paid: the same as applying them one by one."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.events.consumer import EventConsumer, Message
from shared.events.contracts import CONTRACTS, encode_envelope
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent, Outcome
from shared.events.store import EventStore, Transaction
from shared.events.topology import Topology
from tests.support.bus import published
from tests.support.infra import Infra
from tests.support.ledger import ledger_consumer


@pytest.fixture
def credits_table(store: EventStore) -> None:
    store.transact(
        lambda tx: tx.conn.execute(
            "CREATE TABLE IF NOT EXISTS credits "
            "(run text, event_id uuid, order_id text, amount numeric NOT NULL)"
        )
    )


def _credit(tx: Transaction, event: IncomingEvent) -> None:
    """Credit an order's first item; a top-up (customer `top-up`) waits for its order."""
    order_id = event.data["order_id"]
    run = order_id.split(":")[0]
    if event.data["customer_id"] == "top-up":
        placed = tx.conn.execute(
            "SELECT 1 FROM credits WHERE run = %s AND order_id = %s", (run, order_id)
        ).fetchone()
        if placed is None:
            raise NotYetApplicableError("the order is not there yet", event.envelope.ordering_key)
    item = event.data["items"][0]
    tx.conn.execute(
        "INSERT INTO credits VALUES (%s, %s, %s, %s)",
        (run, event.envelope.event_id, order_id, item["unit_price"]["amount"] * item["quantity"]),
    )


def _message(order_id: str, amount: str, customer_id: str) -> bytes:
    """An OrderPlaced of one item at `amount`, as the orders relay publishes it."""
    example = json.loads(json.dumps(CONTRACTS.contract("OrderPlaced").example))
    item = {
        **example["items"][0],
        "quantity": 1,
        "unit_price": {"amount": amount, "currency": "CNY"},
    }
    data = {**example, "order_id": order_id, "customer_id": customer_id, "items": [item]}
    version = CONTRACTS.contract("OrderPlaced").version
    return encode_envelope(
        published("OrderPlaced", "orders", f"order-{order_id}", 1, data, order_id, version)
    )


PAYMENTS = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2),
        st.none() | st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99.99"), places=2),
    ),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payments=PAYMENTS, data=st.data())
def test_payments_in_any_batches_order_and_redeliveries_are_credited_once_each(
    infra: Infra,
    store: EventStore,
    topology: Topology,
    credits_table: None,
    payments: list[tuple[Decimal, Decimal | None]],
    data: st.DataObject,
) -> None:
    run = uuid.uuid4().hex[:8]
    consumer: EventConsumer = ledger_consumer(
        store=store, amqp_url=infra.amqp_url, topology=topology, handler=_credit
    )
    bodies: list[bytes] = []
    for n, (paid, top_up) in enumerate(payments):
        bodies.append(_message(f"{run}:o{n}", str(paid), "cus-1"))
        if top_up is not None:
            bodies.append(_message(f"{run}:o{n}", str(top_up), "top-up"))
    deliveries = data.draw(st.permutations(bodies))
    deliveries += data.draw(st.lists(st.sampled_from(bodies), max_size=4))  # redelivered
    points = data.draw(st.sets(st.integers(1, len(deliveries)), max_size=5))
    cuts = sorted(point for point in points if point < len(deliveries))
    tag = 0
    for start, end in zip([0, *cuts], [*cuts, len(deliveries)], strict=True):
        batch = []
        for body in deliveries[start:end]:
            tag += 1
            batch.append(Message(tag, "orders.OrderPlaced.0", body, last_try=False))
        outcomes = consumer.handle_batch(batch)
        assert Outcome.REQUEUED not in outcomes and Outcome.DEAD_LETTERED not in outcomes
    consumer.release_held(None)

    rows = store.query(
        "SELECT event_id, count(*) AS times, sum(amount) AS amount FROM credits WHERE run = %s "
        "GROUP BY event_id",
        (run,),
    )
    assert all(row["times"] == 1 for row in rows), "a payment was credited twice"
    assert len(rows) == len(bodies), "every payment was credited"
    total = sum(p for p, _ in payments) + sum(t for _, t in payments if t is not None)
    assert sum(row["amount"] for row in rows) == total
