"""The orders service's handlers: one plain function per command and per consumed event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.orders.domain import events as ev
from services.orders.domain.order import AUTO_COMPLETE_AFTER, Order, OrderStatus
from shared.events.codec import EventCodec
from shared.events.consumer import Handler, IncomingEvent
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotYetApplicableError
from shared.events.repository import Repository
from shared.events.scheduler import Deadline, DeadlineHandler, schedule
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context

CODEC = EventCodec(ev.EVENT_TYPES, CONTRACTS)
ORDERS: Repository[Order] = Repository("order", CODEC, Order.replay)
AUTO_COMPLETE = "auto-complete"


# --- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    items: list[ev.OrderedItem]
    destination_country: str
    shipping_method: str


@dataclass(frozen=True)
class InspectItems:
    order_id: str
    items: list[ev.InspectedItem]


@dataclass(frozen=True)
class ReportReception:
    order_id: str
    customer_id: str
    all_well: bool
    comment: str


@dataclass(frozen=True)
class CancelOrder:
    order_id: str
    reason: str
    customer_id: str | None  # None: staff cancel on the customer's behalf


def _owned(order: Order, customer_id: str | None) -> Order:
    """The order if `customer_id` owns it (or staff asks); otherwise as if it did not exist."""
    if customer_id is not None and order.customer_id != customer_id:
        return Order(order.order_id)
    return order


def _meta(actor: str, correlation_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"actor": actor, "correlation_id": correlation_id or str(uuid.uuid4()), **extra}


def place_order(ctx: Context, cmd: PlaceOrder, actor: str) -> str:
    """Open a new order; emits OrderPlaced."""
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    placed = ev.OrderPlaced(
        order_id,
        cmd.customer_id,
        cmd.items,
        cmd.destination_country,
        cmd.shipping_method,
        ctx.clock.now(),
    )

    def work(tx: Transaction) -> None:
        order = ORDERS.get(tx, order_id)
        ORDERS.save(tx, order_id, order, [placed], _meta(actor, ordering_key=order_id))

    ctx.store.transact(work)
    return order_id


def inspect_items(ctx: Context, cmd: InspectItems, actor: str) -> None:
    """Staff record the inspection; emits ItemsInspected."""

    def work(tx: Transaction) -> None:
        order = ORDERS.get(tx, cmd.order_id)
        ORDERS.save(
            tx, cmd.order_id, order, order.inspect(cmd.items, ctx.clock.now()), _meta(actor)
        )

    ctx.store.transact(work)


def report_reception(ctx: Context, cmd: ReportReception, actor: str) -> None:
    """The customer's reception report; completes the order when all is well."""

    def work(tx: Transaction) -> None:
        order = _owned(ORDERS.get(tx, cmd.order_id), cmd.customer_id)
        ORDERS.save(
            tx,
            cmd.order_id,
            order,
            order.report_reception(cmd.all_well, cmd.comment, ctx.clock.now()),
            _meta(actor),
        )

    ctx.store.transact(work)


def cancel_order(ctx: Context, cmd: CancelOrder, actor: str) -> None:
    """Cancel an order whose 1st billing is unpaid (R15)."""

    def work(tx: Transaction) -> None:
        order = _owned(ORDERS.get(tx, cmd.order_id), cmd.customer_id)
        ORDERS.save(
            tx, cmd.order_id, order, order.cancel(cmd.reason, ctx.clock.now()), _meta(actor)
        )

    ctx.store.transact(work)


# --- consumed events --------------------------------------------------------------------------
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
    """Record a billing on the order; the 2nd waits for the inspection to be recorded."""
    data = event.data
    order = _existing(tx, event)
    new: list[object]
    if data["kind"] == "first":
        new = [
            ev.FirstBillingIssued(
                order.order_id, data["billing_id"], _money(data["amount"]), data["issued_at"]
            )
        ]
    elif order.status is OrderStatus.INSPECTED:
        new = [
            ev.SecondBillingIssued(
                order.order_id, data["billing_id"], _money(data["amount"]), data["issued_at"]
            )
        ]
    elif order.status in (OrderStatus.APPLIED, OrderStatus.PURCHASING):
        raise NotYetApplicableError("2nd billing before inspection", event.envelope.ordering_key)
    else:
        new = []  # a revision of a billing already recorded
    ORDERS.save(tx, order.order_id, order, new, event.metadata())


def on_payment_received(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A settled billing moves the order on."""
    data = event.data
    if not data["billing_settled"]:
        return
    order = _existing(tx, event)
    now: datetime = data["received_at"]
    new: list[object] = []
    if data["kind"] == "first" and order.status is OrderStatus.APPLIED:
        new = [ev.FirstBillingPaid(order.order_id, data["billing_id"], now)]
    elif data["kind"] == "second" and not order.second_billing_paid:
        if order.status is not OrderStatus.AWAITING_SECOND_PAYMENT:
            raise NotYetApplicableError(
                "2nd payment before 2nd billing", event.envelope.ordering_key
            )
        new = [ev.SecondBillingPaid(order.order_id, data["billing_id"], now)]
    ORDERS.save(tx, order.order_id, order, new, event.metadata())


def on_shipped(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """The parcels left: the order is shipped, and completes by itself in 30 days (R24)."""
    data = event.data
    order = _existing(tx, event)
    if order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED):
        return
    if not order.second_billing_paid:
        raise NotYetApplicableError(
            "shipped before 2nd payment recorded", event.envelope.ordering_key
        )
    shipped_at: datetime = data["shipped_at"]
    tracking = [p["tracking_number"] for p in data["parcels"]]
    ORDERS.save(
        tx,
        order.order_id,
        order,
        [ev.OrderShipped(order.order_id, tracking, shipped_at)],
        event.metadata(),
    )
    schedule(tx, Deadline(AUTO_COMPLETE, order.order_id, shipped_at + AUTO_COMPLETE_AFTER, {}))


def event_handlers(ctx: Context) -> dict[str, Handler]:
    """Routing of consumed integration events to their handlers."""
    return {
        "BillingIssued": lambda tx, e: on_billing_issued(ctx, tx, e),
        "PaymentReceived": lambda tx, e: on_payment_received(ctx, tx, e),
        "Shipped": lambda tx, e: on_shipped(ctx, tx, e),
    }


def auto_complete(tx: Transaction, deadline: Deadline, now: datetime) -> None:
    """30 days after shipment without a reception report, the order completes (R24)."""
    order = ORDERS.get(tx, deadline.key)
    ORDERS.save(
        tx,
        deadline.key,
        order,
        order.complete_without_report(now),
        _meta("scheduler", ordering_key=deadline.key),
    )


def deadline_handlers(ctx: Context) -> dict[str, DeadlineHandler]:
    """Routing of fired deadlines."""
    return {AUTO_COMPLETE: auto_complete}
