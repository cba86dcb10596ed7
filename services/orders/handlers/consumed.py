"""Integration events the orders service consumes: one plain function each."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.orders.domain.order import AUTO_CANCEL_AFTER, AUTO_COMPLETE_AFTER, Order
from services.orders.domain.status import OrderStatus
from services.orders.handlers.commands import sealed_text
from services.orders.handlers.common import ORDERS
from services.orders.handlers.deadlines import AUTO_CANCEL, AUTO_COMPLETE
from shared.domain_errors import DomainError
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent
from shared.events.scheduler import Deadline, cancel, schedule
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context, EventHandler

log = logging.getLogger(__name__)


def _existing(tx: Transaction, event: IncomingEvent) -> Order:
    order = ORDERS.get(tx, event.data["order_id"])
    if not order.exists:
        raise NotYetApplicableError(
            f"order {order.order_id} unknown yet", event.envelope.ordering_key
        )
    return order


def _money(data: dict[str, Any]) -> Money:
    return Money(data["amount"], data["currency"])


def on_billing_issued(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Record a billing; the estimate starts the 7-day payment deadline (R16); a revision
    that is already covered by what was paid moves the order to purchasing."""
    data = event.data
    order = _existing(tx, event)
    amount, issued_at = _money(data["amount"]), data["issued_at"]
    if data["kind"] == "first":
        new = order.record_first_billing(data["billing_id"], amount, issued_at)
        if new and data["revision"] == 1:
            schedule(tx, Deadline(AUTO_CANCEL, order.order_id, issued_at + AUTO_CANCEL_AFTER, {}))
        if data["settled"]:
            # A revision lowered to what was already paid settles the billing with no
            # payment (R17, BillingIssued v2): purchasing starts as after the last payment.
            paid = order.record_first_payment(data["billing_id"], issued_at, data["revision"])
            if paid:
                cancel(tx, AUTO_CANCEL, order.order_id)
            new = [*new, *paid]
    else:
        if order.status in (OrderStatus.PURCHASING, OrderStatus.AWAITING_ARRIVAL):
            raise NotYetApplicableError(
                "2nd billing before inspection", event.envelope.ordering_key
            )
        new = order.record_second_billing(data["billing_id"], amount, issued_at)
        if data["settled"]:  # a revision covered by what was paid (BillingIssued v2)
            ORDERS.save(tx, order.order_id, order, new, event.metadata())
            new = order.record_second_payment(data["billing_id"], issued_at)
    ORDERS.save(tx, order.order_id, order, new, event.metadata())


def on_payment_received(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A settled billing moves the order on."""
    data = event.data
    if not data["billing_settled"]:
        return
    order = _existing(tx, event)
    paid_at: datetime = data["received_at"]
    if data["kind"] == "first":
        # A payment for an order cancelled meanwhile changes nothing here: billing refunds it.
        new = order.record_first_payment(data["billing_id"], paid_at, data["revision"])
        if new:
            cancel(tx, AUTO_CANCEL, order.order_id)
    else:
        if order.status is OrderStatus.INSPECTED:
            raise NotYetApplicableError(
                "2nd payment before 2nd billing recorded", event.envelope.ordering_key
            )
        new = order.record_second_payment(data["billing_id"], paid_at)
    ORDERS.save(tx, order.order_id, order, new, event.metadata())


def on_shipped(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """The parcels left: the order is shipped, and completes by itself in 30 days (R24)."""
    data = event.data
    order = _existing(tx, event)
    waiting = (OrderStatus.INSPECTED, OrderStatus.AWAITING_SECOND_PAYMENT)
    if order.status in waiting and not order.second_billing_paid:
        raise NotYetApplicableError(
            "shipped before 2nd payment recorded", event.envelope.ordering_key
        )
    shipped_at: datetime = data["shipped_at"]
    tracking = [p["tracking_number"] for p in data["parcels"]]
    new = order.record_shipment(tracking, shipped_at)
    ORDERS.save(tx, order.order_id, order, new, event.metadata())
    if new:
        due = shipped_at + AUTO_COMPLETE_AFTER
        schedule(tx, Deadline(AUTO_COMPLETE, order.order_id, due, {}))


def on_purchase_condition_requested(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A message asked to confirm an item with the seller before buying it (R13)."""
    data = event.data
    order = _existing(tx, event)
    try:
        # Messaging sends the text sealed (it is kept as it came); one from before sealing is
        # sealed here, under the order's customer.
        text = sealed_text(ctx, order, data["text"])
        new = order.set_purchase_condition(data["item_id"], text, data["requested_at"])
    except DomainError as exc:
        # Too late (already paid) or an unknown item: the message stays; staff read it.
        log.info("purchase condition on %s not applied: %s", order.order_id, exc)
        return
    ORDERS.save(tx, order.order_id, order, new, event.metadata())


def on_customer_forgotten(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A customer was forgotten: this process stops opening their data at once (not after
    the keyring's cache time). Orders keeps no unsealed copy of anything of theirs: what it
    stored is sealed (services/orders/personal.py) and now reads "forgotten customer"."""
    ctx.personal.drop_cached(event.data["customer_id"])


# Each consumed integration event and its handler (its queue bindings follow from this).
EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "BillingIssued": on_billing_issued,
    "PaymentReceived": on_payment_received,
    "Shipped": on_shipped,
    "PurchaseConditionRequested": on_purchase_condition_requested,
    "CustomerForgotten": on_customer_forgotten,
}
