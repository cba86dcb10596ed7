"""The shipping HTTP API: shipments, staff queues, and (in rates_api) methods and estimates."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from services.shipping import handlers, rating, views
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
    require_staff,
    service_context,
)
from shared.web.idempotency import idempotent
from shared.web.paging import page_answer, queue_page, staff_queue_page

bp = Blueprint("shipping", __name__)
__all__ = ["OPENAPI", "create_app"]


@bp.get("/shipments/search")
def search_shipments() -> ResponseReturnValue:
    """The orders whose tracking number holds `q` (staff search, R27)."""
    require_staff()
    page = queue_page()
    if not page.text:
        return jsonify({"orders": [], **page_answer(page, 0)})
    rows, total = views.by_tracking(service_context().store, page)
    return jsonify({"orders": rows, **page_answer(page, total)})


@bp.get("/shipments/<order_id>")
def get_shipment(order_id: str) -> ResponseReturnValue:
    """Shipping information of an order: its owner or staff only (R6)."""
    identity = current_identity()
    row = views.shipment(service_context().store, order_id)
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError(f"no shipment for order {order_id}")
    return jsonify(jsonable(row))


@bp.get("/queues/<queue>")
def staff_queue(queue: str) -> ResponseReturnValue:
    """A staff queue: orders to pack, awaiting the 2nd payment, or to ship (oldest first)."""
    require_staff()  # before the 404: only staff learn which queues there are
    if queue not in views.QUEUES:
        raise NotFoundError(f"no queue {queue}")
    return staff_queue_page(queue, "shipments", lambda store, page: views.queue(store, queue, page))


@bp.post("/shipments/<order_id>/parcels")
@idempotent
def pack(order_id: str) -> ResponseReturnValue:
    """Staff record the parcels; the fee is quoted with the current rates (R21)."""
    staff = require_staff()
    body = json_body(PackRequest)
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
    body = json_body(MethodRequest)
    shipment = handlers.change_method(service_context(), order_id, body["method"], staff.subject)
    return jsonify({"order_id": order_id, "method": shipment.method})


@bp.post("/shipments/<order_id>/ship")
@idempotent
def ship(order_id: str) -> ResponseReturnValue:
    """Staff ship every parcel with its carrier and tracking number (R6)."""
    staff = require_staff()
    body = json_body(ShipRequest)
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
