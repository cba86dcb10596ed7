"""Read endpoints of the orders API: details, lists, photos, queues, public feedback."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from services.orders.adapters.photos import load_photo
from shared.domain_errors import NotFoundError, ValidationError
from shared.web.app import (
    current_identity,
    jsonable,
    query_rows,
    require_staff,
    service_context,
)
from shared.web.paging import QueuePage, Search, page_answer, paged_rows, queue_page

reads = Blueprint("order_reads", __name__)

TABS = {
    "ongoing": (
        "applied",
        "purchasing",
        "awaiting_arrival",
        "inspected",
        "awaiting_second_payment",
        "shipped",
    ),
    "completed": ("completed",),
    "cancelled": ("cancelled",),
}
QUEUES = {
    "to_purchase": "status = 'purchasing' AND NOT awaits_seller",
    "awaiting_seller": "awaits_seller AND status IN ('pre_payment', 'purchasing')",
    "awaiting_arrival": "status = 'purchased'",
    "to_inspect": "status = 'arrived'",
    "problems": "(problem IS NOT NULL OR status = 'exchange_or_return')",
}


def order_document(order_id: str) -> dict[str, Any]:
    """The order details the caller may see (404 for anyone else's order)."""
    identity = current_identity()
    rows = query_rows("SELECT doc FROM order_details WHERE order_id = %s", (order_id,))
    if not rows or not identity.may_see(rows[0]["doc"]["customer_id"]):
        raise NotFoundError(f"order {order_id} not found")
    doc: dict[str, Any] = rows[0]["doc"]
    return doc


@reads.get("/orders")
def list_orders() -> ResponseReturnValue:
    """The caller's orders in one tab (R1, R25); staff see everyone's."""
    identity = current_identity()
    tab = request.args.get("tab", "ongoing")
    if tab not in TABS:
        raise ValidationError(f"tab is one of {', '.join(TABS)}")
    sql = "SELECT doc FROM order_details WHERE status = ANY(%s)"
    params: tuple[Any, ...] = (list(TABS[tab]),)
    if not identity.is_staff:
        sql += " AND customer_id = %s"
        params += (identity.subject,)
    rows = query_rows(sql + " ORDER BY placed_at DESC LIMIT 200", params)
    return jsonify({"tab": tab, "orders": [r["doc"] for r in rows]})


@reads.get("/orders/<order_id>")
def get_order(order_id: str) -> ResponseReturnValue:
    """Everything the order details page needs from this service (R1-R5)."""
    return jsonify(order_document(order_id))


@reads.get("/orders/<order_id>/photos/<photo_id>")
def get_photo(order_id: str, photo_id: str) -> ResponseReturnValue:
    """An inspection photo, to the order's owner and staff only (R18)."""
    identity = current_identity()
    row = load_photo(service_context().store, order_id, photo_id)
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError("photo not found")
    response = Response(bytes(row["content"]), mimetype=row["media_type"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# What a staff search finds in an order: its id, the delivery name, its customer.
_ORDER_SEARCH = Search(("d.order_id", "d.doc->'address'->>'name'"), "d.order_id", "d.customer_id")


@reads.get("/queues/<name>")
def queue(name: str) -> ResponseReturnValue:
    """A staff work queue, one page of it (R27): estimates to review, items to purchase,
    awaiting the seller or arrival, to inspect, problems; searched and counted."""
    require_staff()
    page = queue_page()
    if name == "estimates":
        rows, total = paged_rows(
            "SELECT d.order_id, d.customer_id, d.placed_at, d.status FROM order_details d",
            "d.status = 'applied'",
            "d.placed_at, d.order_id",
            _ORDER_SEARCH,
            page,
        )
        orders = [jsonable(r) for r in rows]
        return jsonify({"queue": name, "orders": orders, **page_answer(page, total)})
    if name not in QUEUES:
        raise NotFoundError(f"no queue {name}")
    rows, total = paged_rows(
        "SELECT i.order_id, i.item_id, i.status, i.problem, i.updated_at, d.customer_id "
        "FROM order_items i JOIN order_details d USING (order_id)",
        QUEUES[name].replace("status", "i.status"),
        "i.updated_at, i.order_id, i.item_id",
        _ORDER_SEARCH,
        page,
    )
    items = [jsonable(r) for r in rows]
    return jsonify({"queue": name, "items": items, **page_answer(page, total)})


@reads.get("/orders/owners")
def order_owners() -> ResponseReturnValue:
    """Who each order is for (staff, R27): by `ids`, or the orders a staff search finds
    (`q` in the order id or delivery name, or a `customer` id); the console looks its rows'
    customers up here once per page."""
    require_staff()
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if ids:
        rows = query_rows(
            "SELECT order_id, customer_id, status, doc->'address'->>'name' AS name "
            "FROM order_details WHERE order_id = ANY(%s)",
            (ids[:500],),
        )
    else:
        asked = queue_page()
        found, _ = paged_rows(
            "SELECT d.order_id, d.customer_id, d.status, d.doc->'address'->>'name' AS name "
            "FROM order_details d",
            "true",
            "d.placed_at DESC",
            _ORDER_SEARCH,
            QueuePage(limit=500, text=asked.text, customers=asked.customers),
        )
        rows = found if request.args.get("q") or request.args.get("customer") else []
    return jsonify({"orders": rows})


@reads.get("/feedback")
def recent_feedback() -> ResponseReturnValue:
    """Recent feedback, public, without who left it (R28)."""
    rows = query_rows(
        "SELECT rating, text, left_at FROM public_feedback ORDER BY left_at DESC LIMIT 20", ()
    )
    return jsonify({"feedback": [dict(r, left_at=r["left_at"].isoformat()) for r in rows]})
