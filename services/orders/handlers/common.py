"""What every orders handler shares: the codec, the repository, and `decide`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.orders.domain import events as ev
from services.orders.domain.order import Order
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository, meta
from shared.events.store import Transaction
from shared.runtime import Context

CODEC = EventCodec(ev.EVENT_TYPES, CONTRACTS)
ORDERS: Repository[Order] = Repository("order", CODEC, Order.replay)

Decision = Callable[[Order, datetime], list[object]]


def owned(order: Order, customer_id: str | None) -> Order:
    """The order if `customer_id` owns it (None: staff); otherwise as if it did not exist."""
    if customer_id is not None and order.customer_id != customer_id:
        return Order(order.order_id)
    return order


def decide(
    ctx: Context,
    order_id: str,
    decision: Decision,
    actor: str,
    customer_id: str | None = None,
    *,
    also: Callable[[Transaction, Order], None] | None = None,
) -> Order:
    """Load the order, let `decision` decide, append; decided again on a concurrent change
    (`Repository.decide`): a payment arriving while the customer cancels gives the loser a
    clear answer ("cannot cancel: order is purchasing") instead of a bare conflict."""

    def decided(tx: Transaction, order: Order) -> list[object]:
        # Another customer's order is decided on as one that does not exist (a 404).
        mine = owned(order, customer_id)
        new = decision(mine, ctx.clock.now())
        if also is not None:
            also(tx, mine)
        return new

    return ORDERS.decide(ctx.store, order_id, decided, meta(actor, order_id))
