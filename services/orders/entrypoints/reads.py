"""Read endpoints of the orders API: details, lists, history, photos, queues, public feedback
(their queries are in services/orders/views.py)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from services.orders import views
from services.orders.adapters.photos import load_photo
from shared.domain_errors import CustomerForgottenError, NotFoundError, ValidationError
from shared.web.app import current_identity, require_staff, service_context
from shared.web.paging import QueuePage, list_offset, queue_page, staff_queue_page

reads = Blueprint("order_reads", __name__)


def order_document(order_id: str) -> dict[str, Any]:
    """The order details the caller may see (404 for anyone else's order)."""
    identity = current_identity()
    doc = views.order_document(service_context().store, order_id)
    if doc is None or not identity.may_see(doc["customer_id"]):
        raise NotFoundError(f"order {order_id} not found")
    return doc


@reads.get("/orders")
def list_orders() -> ResponseReturnValue:
    """The caller's orders in one tab (R1, R25); staff see everyone's."""
    customer = current_identity().acting_customer
    tab = request.args.get("tab", "ongoing")
    if tab not in views.TABS:
        raise ValidationError(f"tab is one of {', '.join(views.TABS)}")
    docs, next_offset = views.orders_in_tab(service_context().store, tab, customer, list_offset())
    return jsonify({"tab": tab, "orders": docs, "next_offset": next_offset})


@reads.get("/orders/<order_id>")
def get_order(order_id: str) -> ResponseReturnValue:
    """Everything the order details page needs from this service (R1-R5)."""
    return jsonify(order_document(order_id))


@reads.get("/orders/<order_id>/history")
def order_history(order_id: str) -> ResponseReturnValue:
    """The order's events with their time and actor, to staff only (404 for no order, R27)."""
    require_staff()
    events = views.order_history(service_context().store, order_id)
    if not events:
        raise NotFoundError(f"order {order_id} not found")
    return jsonify({"order_id": order_id, "events": events})


@reads.get("/orders/<order_id>/photos/<photo_id>")
def get_photo(order_id: str, photo_id: str) -> ResponseReturnValue:
    """An inspection photo, to the order's owner and staff only (R18)."""
    identity = current_identity()
    row = load_photo(service_context().store, order_id, photo_id)
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError("photo not found")
    content = service_context().personal.open_file(bytes(row["content"]))
    if content is None:
        raise CustomerForgottenError(
            "This photo belonged to a customer who asked to be forgotten: "
            "it can no longer be shown."
        )
    response = Response(content, mimetype=row["media_type"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@reads.get("/queues/<name>")
def queue(name: str) -> ResponseReturnValue:
    """A staff work queue, one page of it (R27): estimates to review, items to purchase,
    awaiting the seller or arrival, to inspect, problems; searched and counted."""
    personal = service_context().personal
    if name == "estimates":
        return staff_queue_page(
            name,
            "orders",
            lambda store, page: views.estimates(
                store, views.with_named_orders(store, personal, page)
            ),
        )
    return staff_queue_page(
        name,
        "items",
        lambda store, page: views.queued_items(
            store, name, views.with_named_orders(store, personal, page)
        ),
    )


@reads.get("/orders/owners")
def order_owners() -> ResponseReturnValue:
    """Who each order is for (staff, R27): by `ids`, or the orders a staff search finds
    (`q` in the order id or delivery name, or a `customer` id); the console looks its rows'
    customers up here once per page."""
    require_staff()
    store = service_context().store
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if ids:
        rows = views.owners(store, ids[:500])
    else:
        asked = queue_page()  # (a bad search is a 400 even when nothing is searched)
        searched = request.args.get("q") or request.args.get("customer")
        found = QueuePage(limit=500, text=asked.text, customers=asked.customers)
        named = views.with_named_orders(store, service_context().personal, found)
        rows = views.searched_owners(store, named) if searched else []
    return jsonify({"orders": rows})


@reads.get("/feedback")
def recent_feedback() -> ResponseReturnValue:
    """Recent feedback, public, without who left it (R28)."""
    context = service_context()
    return jsonify({"feedback": views.recent_feedback(context.store, context.personal)})


@reads.get("/customers/<customer_id>/open-orders")
def open_orders(customer_id: str) -> ResponseReturnValue:
    """The customer's orders neither completed nor cancelled (staff): a customer is forgotten
    only when none is left (issue 21's legal hold)."""
    require_staff()
    return jsonify({"orders": views.open_orders(service_context().store, customer_id)})
