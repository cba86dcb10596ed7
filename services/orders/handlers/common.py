"""What every orders handler shares: the codec, the repository, and `decide`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.orders.domain import events as ev
from services.orders.domain.order import Order
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository
from shared.events.store import Transaction
from shared.observability.context import correlation_id
from shared.runtime import Context

CODEC = EventCodec(ev.EVENT_TYPES, CONTRACTS)
ORDERS: Repository[Order] = Repository("order", CODEC, Order.replay)
CONFLICT_RETRIES = 30

Decision = Callable[[Order, datetime], list[object]]


def meta(actor: str, order_id: str, **extra: Any) -> dict[str, Any]:
    """Metadata of events a command caused."""
    return {"actor": actor, "correlation_id": correlation_id(), "ordering_key": order_id, **extra}


def owned(order: Order, customer_id: str | None) -> Order:
    """The order if `customer_id` owns it (None: staff); otherwise as if it did not exist."""
    if customer_id is not None and order.customer_id != customer_id:
        return Order(order.order_id)
    return order


def decide(
    ctx: Context,
    order_id: str,
    decision: Decision,
    *,
    actor: str,
    customer_id: str | None = None,
    also: Callable[[Transaction, Order], None] | None = None,
) -> Order:
    """Load the order, let `decision` decide, append; retried on a concurrent change.

    A concurrent change (a payment arriving while the customer cancels) makes the append
    fail; deciding again on the fresh state gives the loser a clear answer ("cannot cancel:
    order is purchasing") instead of a bare conflict."""

    def work(tx: Transaction) -> Order:
        order = owned(ORDERS.get(tx, order_id), customer_id)
        new = decision(order, ctx.clock.now())
        if also is not None:
            also(tx, order)
        ORDERS.save(tx, order_id, order, new, meta(actor, order_id))
        return order

    return ctx.store.transact(work, decide_again=CONFLICT_RETRIES)
