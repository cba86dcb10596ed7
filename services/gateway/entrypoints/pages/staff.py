"""The staff console (R27): every work queue on one page, the staff view of one order with
the actions its state allows, and the live event feed. The actions are in staff_actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.pages.common import Part, fetch, html_errors, page
from services.gateway.entrypoints.pages.order_form import SHIPPING_METHODS
from services.gateway.entrypoints.sessions import staff_signed_in
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotFoundError
from shared.money import MINOR_UNITS

staff_pages = Blueprint("staff_pages", __name__)
html_errors(staff_pages)

Row = dict[str, Any]


@dataclass(frozen=True)
class Queue:
    """One work queue: where it is read, the list in the answer, and what a row shows."""

    title: str
    service: str
    path: str
    key: str
    columns: tuple[str, ...]
    params: tuple[tuple[str, str], ...] = ()
    keep: Callable[[Row], bool] = lambda row: True

    @property
    def slug(self) -> str:
        """The queue's anchor on the console page."""
        return self.title.lower().replace(" ", "-")


def _items(title: str, name: str) -> Queue:
    return Queue(title, "orders", f"/queues/{name}", "items", ("item_id", "status", "problem"))


def _shipments(title: str, name: str) -> Queue:
    columns = ("method", "destination_country", "status", "fee")
    return Queue(title, "shipping", f"/queues/{name}", "shipments", columns)


# The console's sections, one per service, each with its queues in the order work flows.
QUEUES: tuple[tuple[str, tuple[Queue, ...]], ...] = (
    (
        "orders",
        (
            Queue(
                "Estimates to review",
                "orders",
                "/orders",
                "orders",
                ("customer_id", "placed_at", "status"),
                (("tab", "ongoing"),),
                lambda row: row.get("status") == "applied",
            ),
            _items("To purchase", "to_purchase"),
            _items("Awaiting seller confirmation", "awaiting_seller"),
            _items("Awaiting arrival", "awaiting_arrival"),
            _items("To inspect", "to_inspect"),
            _items("Problems", "problems"),
        ),
    ),
    (
        "billing",
        (
            Queue(
                "Reported transfers not yet matched",
                "billing",
                "/queues/payment-reports",
                "reports",
                (
                    "billing_id",
                    "payer_name",
                    "paid_on",
                    "amount",
                    "currency",
                    "expected_confirmation",
                ),
            ),
            Queue(
                "Transfers received without a report",
                "billing",
                "/queues/unreported-transfers",
                "transfers",
                ("billing_id", "received_at", "amount", "currency"),
            ),
            Queue(
                "Card captures in review",
                "billing",
                "/queues/captures-in-review",
                "captures",
                ("billing_id", "capture_id", "reason", "amount", "currency"),
            ),
            Queue(
                "Payments that paid no billing",
                "billing",
                "/queues/unapplied-payments",
                "payments",
                ("status", "reference", "customer_id", "reason", "amount", "currency"),
            ),
        ),
    ),
    (
        "messaging",
        (
            Queue(
                "Conversations awaiting a reply",
                "messaging",
                "/queues/awaiting-reply",
                "conversations",
                ("conversation_id", "unread", "last_message_at"),
            ),
            Queue(
                "Exchange and return requests",
                "messaging",
                "/queues/requests",
                "messages",
                ("kind", "text", "posted_at"),
            ),
        ),
    ),
    (
        "shipping",
        (
            _shipments("To pack", "to-pack"),
            _shipments("Awaiting payment", "awaiting-payment"),
            _shipments("To ship", "to-ship"),
        ),
    ),
)
SERVICE_TITLES = {
    "orders": "Orders",
    "billing": "Billing",
    "messaging": "Messages",
    "shipping": "Shipping",
}


@dataclass(frozen=True)
class QueueView:
    """A queue as the console shows it: its rows, or why they are not there."""

    queue: Queue
    part: Part
    rows: list[Row]


@dataclass(frozen=True)
class ServiceView:
    """One service's queues; `down` when the service did not answer."""

    service: str
    title: str
    queues: list[QueueView]
    down: Part | None


def order_of(row: Row) -> str | None:
    """The order a queue row belongs to: its `order_id`; for a billing row whose billing is
    not projected yet (no order_id), read from the billing id, `<order_id>-<1|2>`."""
    if row.get("order_id"):
        return str(row["order_id"])
    billing_id = str(row.get("billing_id") or "")
    return billing_id.rsplit("-", 1)[0] if "-" in billing_id else None


def _service_view(service: str, queues: tuple[Queue, ...]) -> ServiceView:
    views: list[QueueView] = []
    for queue in queues:
        part = fetch(queue.service, queue.path, dict(queue.params))
        if part.unavailable:
            # One refusal is enough: the other queues of a down service would only wait too.
            return ServiceView(service, SERVICE_TITLES[service], [], part)
        found = part.value.get(queue.key, []) if part.shown else []
        rows = [{**row, "order": order_of(row)} for row in found if queue.keep(row)]
        views.append(QueueView(queue, part, rows))
    return ServiceView(service, SERVICE_TITLES[service], views, None)


@staff_pages.get("/staff")
def console() -> ResponseReturnValue:
    """Every work queue with its count; a down service says so and the rest still shows."""
    staff_signed_in()
    services = [_service_view(service, queues) for service, queues in QUEUES]
    return page("staff/console.html", services=services)


# What staff can do to an item in each status (the orders service has the last word).
ITEM_ACTIONS: dict[str, tuple[str, ...]] = {
    "purchasing": ("purchased", "unavailable"),
    "purchased": ("arrival", "unavailable"),
    "arrived": ("inspection", "unavailable"),
    "inspected": ("exchange", "unavailable"),
    "exchange_or_return": ("exchange-answer", "unavailable"),
}
CANCELLABLE = ("applied", "purchasing", "awaiting_arrival", "inspected")
PACK_ROWS = 3


def item_actions(item: Row) -> tuple[str, ...]:
    """The actions offered for `item`: its status's, and the seller's answer to a condition."""
    actions = ITEM_ACTIONS.get(item.get("status", ""), ())
    asks_seller = item.get("condition") and not item.get("seller_answer")
    if asks_seller and item.get("status") in ("pre_payment", "purchasing"):
        actions = ("seller-confirmation", *actions)
    return actions


def open_balance(billing: Row) -> bool:
    """The billing still waits for money."""
    try:
        return billing.get("status") != "voided" and Decimal(billing.get("balance", "0")) > 0
    except InvalidOperation:
        return False


@staff_pages.get("/staff/orders/<order_id>")
def staff_order(order_id: str) -> ResponseReturnValue:
    """One order as staff operate it: items and their actions, billings, the shipment and the
    messages; each section stands alone when its service is down."""
    staff_signed_in()
    order = fetch("orders", f"/orders/{order_id}")
    if order.missing:
        raise NotFoundError(f"order {order_id} not found")
    return page(
        "staff/order.html",
        order_id=order_id,
        order=order,
        billings=fetch("billing", f"/orders/{order_id}/billings"),
        shipment=fetch("shipping", f"/shipments/{order_id}"),
        messages=fetch("messaging", f"/orders/{order_id}/messages"),
        item_actions=item_actions,
        open_balance=open_balance,
        cancellable=CANCELLABLE,
        pack_rows=PACK_ROWS,
        methods=SHIPPING_METHODS,
        currencies=sorted(MINOR_UNITS),
    )


@staff_pages.get("/staff/live")
def live() -> ResponseReturnValue:
    """The live feed: every integration event as it happens, filtered by order in the page."""
    staff_signed_in()
    return page("staff/live.html", event_types=sorted(c.type for c in CONTRACTS))
