"""The shipping HTTP API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.shipping import handlers
from services.shipping.domain.shipment import Parcel
from shared.events.errors import NotFoundError
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

bp = Blueprint("shipping", __name__)

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT shipping", "version": "1"},
    "paths": {
        "/shipments/{order_id}": {"get": {"summary": "Shipping information of an order"}},
        "/shipments/{order_id}/parcels": {"post": {"summary": "Pack and quote (staff)"}},
        "/shipments/{order_id}/ship": {"post": {"summary": "Ship with tracking (staff)"}},
    },
}


def _dimension(maximum: int) -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=maximum))


class ParcelRequest(Schema):
    weight_grams = _dimension(100_000)
    length_cm = _dimension(300)
    width_cm = _dimension(300)
    height_cm = _dimension(300)


class PackRequest(Schema):
    parcels = fields.List(
        fields.Nested(ParcelRequest), required=True, validate=validate.Length(min=1, max=20)
    )


class TrackingRequest(Schema):
    parcel_id = fields.String(required=True)
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=40))
    tracking_number = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{4,60}$"))


class ShipRequest(Schema):
    parcels = fields.List(
        fields.Nested(TrackingRequest), required=True, validate=validate.Length(min=1)
    )


def _ctx() -> Context:
    context: Context = service_context()
    return context


@bp.get("/shipments/<order_id>")
def get_shipment(order_id: str) -> ResponseReturnValue:
    identity = current_identity()
    row = _ctx().store.transact(
        lambda tx: tx.conn.execute(
            "SELECT * FROM shipment_summaries WHERE order_id = %s", (order_id,)
        ).fetchone()
    )
    if row is None or not identity.may_see(row["customer_id"]):
        raise NotFoundError(f"no shipment for order {order_id}")
    return jsonify(jsonable(row))


@bp.post("/shipments/<order_id>/parcels")
@idempotent
def pack(order_id: str) -> ResponseReturnValue:
    staff = require_staff()
    body = json_body(PackRequest())
    parcels = [
        Parcel(f"par-{n}", p["weight_grams"], p["length_cm"], p["width_cm"], p["height_cm"])
        for n, p in enumerate(body["parcels"], start=1)
    ]
    shipment = handlers.pack_and_quote(_ctx(), order_id, parcels, staff.subject)
    quote = shipment.quote
    assert quote is not None
    return jsonify(
        {
            "order_id": order_id,
            "quote_id": quote.quote_id,
            "fee": {"amount": str(quote.fee.amount), "currency": quote.fee.currency},
            "parcels": [p.parcel_id for p in parcels],
        }
    ), 201


@bp.post("/shipments/<order_id>/ship")
@idempotent
def ship(order_id: str) -> ResponseReturnValue:
    staff = require_staff()
    body = json_body(ShipRequest())
    tracking = {p["parcel_id"]: (p["carrier"], p["tracking_number"]) for p in body["parcels"]}
    handlers.ship(_ctx(), order_id, tracking, staff.subject)
    return jsonify({"order_id": order_id, "status": "shipped"})


def create_app(context: Context) -> Flask:
    """The shipping API over `context`."""
    app = create_service_app("shipping", context, OPENAPI)
    app.register_blueprint(bp)
    return app
