"""The shipping HTTP API: shipments, staff queues, and (in rates_api) methods and estimates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from services.shipping import handlers, rating
from services.shipping.domain.shipment import Parcel
from services.shipping.entrypoints import rates_api
from services.shipping.entrypoints.openapi import OPENAPI
from services.shipping.entrypoints.schemas import MethodRequest, PackRequest, ShipRequest
from shared.domain_errors import NotFoundError
from shared.runtime import Context
from shared.web.app import (
    create_service_app,
    current_identity,
    json_body,
    jsonable,
    query_rows,
    require_staff,
    service_context,
)
from shared.web.idempotency import idempotent
from shared.web.paging import Search, page_answer, paged_rows, queue_page

bp = Blueprint("shipping", __name__)
QUEUES = {"to-pack": "to_pack", "awaiting-payment": "awaiting_payment", "to-ship": "to_ship"}
_QUEUE_COLUMNS = (
    "order_id, customer_id, method, status, destination_country, opened_at, fee, quoted_at, "
    "paid_at, parcels"
)

__all__ = ["OPENAPI", "create_app"]


def _shipment_json(row: dict[str, Any]) -> dict[str, Any]:
    body = jsonable(row)
    body["tracking_numbers"] = [p["tracking_number"] for p in row["tracking"]]
    return body


@bp.get("/shipments/search")
def search_shipments() -> ResponseReturnValue:
    """The orders whose tracking number holds `q` (staff search, R27)."""
    require_staff()
    page = queue_page()
    if not page.text:
        return jsonify({"orders": [], **page_answer(page, 0)})
    rows, total = paged_rows(
        "SELECT order_id, status FROM shipment_summaries",
        "true",
        "opened_at DESC, order_id",
        Search(("tracking",)),
        page,
    )
    return jsonify({"orders": [jsonable(r) for r in rows], **page_answer(page, total)})


@bp.get("/shipments/<order_id>")
def get_shipment(order_id: str) -> ResponseReturnValue:
    """Shipping information of an order: its owner or staff only (R6)."""
    identity = current_identity()
    rows = query_rows("SELECT * FROM shipment_summaries WHERE order_id = %s", (order_id,))
    row = rows[0] if rows else None
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError(f"no shipment for order {order_id}")
    return jsonify(_shipment_json(row))


@bp.get("/queues/<queue>")
def staff_queue(queue: str) -> ResponseReturnValue:
    """A staff queue: orders to pack, awaiting the 2nd payment, or to ship (oldest first)."""
    require_staff()
    status = QUEUES.get(queue)
    if status is None:
        raise NotFoundError(f"no queue {queue}")
    page = queue_page()
    rows, total = paged_rows(
        f"SELECT {_QUEUE_COLUMNS}, tracking FROM shipment_summaries",
        "status = %s",
        "opened_at, order_id",
        Search(("order_id", "tracking"), "order_id", "customer_id"),
        page,
        (status,),
    )
    shipments = [jsonable(r) for r in rows]
    return jsonify({"queue": queue, "shipments": shipments, **page_answer(page, total)})


@bp.post("/shipments/<order_id>/parcels")
@idempotent
def pack(order_id: str) -> ResponseReturnValue:
    """Staff record the parcels; the fee is quoted with the current rates (R21)."""
    staff = require_staff()
    body = json_body(PackRequest())
    parcels = [
        (
            Parcel(f"par-{n}", p["weight_grams"], p["length_cm"], p["width_cm"], p["height_cm"]),
            list(p["items"]),
        )
        for n, p in enumerate(body["parcels"], start=1)
    ]
    shipment = handlers.pack_and_quote(service_context(), order_id, parcels, staff.subject)
    quote, calculation = shipment.quote, shipment.calculation
    assert quote is not None and calculation is not None
    return jsonify(
        {
            "order_id": order_id,
            "quote_id": quote.quote_id,
            "method": quote.method,
            "rate_version": calculation.rate_version,
            "fee": {"amount": str(quote.fee.amount), "currency": quote.fee.currency},
            "parcels": [p.parcel_id for p, _ in parcels],
            "charges": [
                {
                    "parcel_id": c.parcel_id,
                    "chargeable_weight_grams": c.chargeable_grams,
                    "fee": {"amount": str(c.fee.amount), "currency": c.fee.currency},
                }
                for c in calculation.charges
            ],
        }
    ), 201


@bp.post("/shipments/<order_id>/method")
@idempotent
def change_method(order_id: str) -> ResponseReturnValue:
    """Staff change the method at the customer's request, before the fee is quoted."""
    staff = require_staff()
    body = json_body(MethodRequest())
    shipment = handlers.change_method(service_context(), order_id, body["method"], staff.subject)
    return jsonify({"order_id": order_id, "method": shipment.method})


@bp.post("/shipments/<order_id>/ship")
@idempotent
def ship(order_id: str) -> ResponseReturnValue:
    """Staff ship every parcel with its carrier and tracking number (R6)."""
    staff = require_staff()
    body = json_body(ShipRequest())
    tracking = {p["parcel_id"]: (p["carrier"], p["tracking_number"]) for p in body["parcels"]}
    handlers.ship(service_context(), order_id, tracking, staff.subject)
    return jsonify({"order_id": order_id, "status": "shipped"})


def create_app(context: Context) -> Flask:
    """The shipping API over `context` (the default rate tables seeded if missing)."""
    rating.seed_defaults(context)
    app = create_service_app("shipping", context, OPENAPI)
    app.register_blueprint(bp)
    app.register_blueprint(rates_api.bp)
    return app
