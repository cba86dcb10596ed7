"""The staff console (R27): every work queue on one page, the staff view of one order with
the actions its state allows, and the live event feed. The actions are in staff_actions."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.account_links import tokens
from services.gateway.entrypoints.pages.common import fetch, html_errors, page
from services.gateway.entrypoints.pages.order_form import SHIPPING_METHODS
from services.gateway.entrypoints.pages.order_history import order_history
from services.gateway.entrypoints.pages.staff_queues import (
    HEADINGS,
    MOMENTS,
    QUEUES,
    name_customers,
    search_for,
    service_view,
)
from services.gateway.entrypoints.sessions import gateway, staff_signed_in
from services.gateway.event_words import title
from shared.domain_errors import NotFoundError
from shared.events.contracts import CONTRACTS
from shared.money import MINOR_UNITS

staff_pages = Blueprint("staff_pages", __name__)
html_errors(staff_pages)

Row = dict[str, Any]


@staff_pages.context_processor
def staff_zone() -> dict[str, str]:
    """Every staff page shows times in the staff member's zone (R27)."""
    return {"staff_zone": gateway().config.staff_timezone}


def _offsets() -> dict[str, int]:
    """Where each queue's page starts: `?from-<queue>=40`."""
    offsets = {}
    for name, value in request.args.items():
        if name.startswith("from-") and value.isdigit():
            offsets[name.removeprefix("from-")] = min(int(value), 10_000_000)
    return offsets


@staff_pages.get("/staff")
def console() -> ResponseReturnValue:
    """Every work queue, one page each with the count of all it holds, searched by order id,
    customer e-mail or name, or tracking number; a down service says so and the rest still
    shows."""
    staff_signed_in()
    search = search_for(request.args.get("q", ""))
    offsets = _offsets()
    services = [service_view(name, queues, search, offsets) for name, queues in QUEUES]
    name_customers(services, search.found)
    return page(
        "staff/console.html",
        services=services,
        search=search,
        offsets=offsets,
        moments=MOMENTS,
        headings=HEADINGS,
    )


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
    owner = str(order.value.get("customer_id", "")) if order.shown else ""
    return page(
        "staff/order.html",
        order_id=order_id,
        order=order,
        customer_email=gateway().accounts.emails([owner]).get(owner, "") if owner else "",
        customer_email_unconfirmed=bool(owner) and not tokens().is_verified(owner),
        billings=fetch("billing", f"/orders/{order_id}/billings"),
        shipment=fetch("shipping", f"/shipments/{order_id}"),
        messages=fetch("messaging", f"/orders/{order_id}/messages"),
        history=order_history(order_id, owner),
        item_actions=item_actions,
        open_balance=open_balance,
        cancellable=CANCELLABLE,
        pack_rows=PACK_ROWS,
        methods=SHIPPING_METHODS,
        currencies=sorted(MINOR_UNITS),
    )


@staff_pages.get("/staff/live")
def live() -> ResponseReturnValue:
    """The live feed: every integration event as it happens, as readable rows filtered by
    event type and by order in the page."""
    staff_signed_in()
    types = sorted({c.type for c in CONTRACTS})
    return page("staff/live.html", event_types=[(t, title(t)) for t in types])
