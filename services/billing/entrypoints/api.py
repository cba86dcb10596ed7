"""The billing HTTP API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing import handlers
from shared.events.errors import NotFoundError
from shared.money import MINOR_UNITS, Money
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

bp = Blueprint("billing", __name__)

OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "CNNECT billing", "version": "1"},
    "paths": {
        "/orders/{order_id}/billings": {"get": {"summary": "The billings of an order"}},
        "/billings/{billing_id}": {"get": {"summary": "One billing"}},
        "/billings/{billing_id}/payments": {"post": {"summary": "Confirm a payment (staff)"}},
    },
}


class PaymentRequest(Schema):
    amount = fields.Decimal(
        required=True,
        as_string=True,
        allow_nan=False,
        validate=validate.Range(min=0, min_inclusive=False),
    )
    currency = fields.String(required=True, validate=validate.OneOf(sorted(MINOR_UNITS)))


def _ctx() -> Context:
    context: Context = service_context()
    return context


def _rows(where: str, value: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _ctx().store.transact(
        lambda tx: tx.conn.execute(
            f"SELECT * FROM billing_summaries WHERE {where} = %s ORDER BY kind", (value,)
        ).fetchall()
    )
    identity = current_identity()
    return [jsonable(r) for r in rows if identity.may_see(r["customer_id"])]


@bp.get("/orders/<order_id>/billings")
def order_billings(order_id: str) -> ResponseReturnValue:
    rows = _rows("order_id", order_id)
    if not rows:
        raise NotFoundError(f"no billing for order {order_id}")
    return jsonify({"billings": rows})


@bp.get("/billings/<billing_id>")
def get_billing(billing_id: str) -> ResponseReturnValue:
    rows = _rows("billing_id", billing_id)
    if not rows:
        raise NotFoundError(f"billing {billing_id} not found")
    return jsonify(rows[0])


@bp.post("/billings/<billing_id>/payments")
@idempotent
def confirm_payment(billing_id: str) -> ResponseReturnValue:
    staff = require_staff()
    body = json_body(PaymentRequest())
    amount = Money(body["amount"], body["currency"]).rounded()
    billing = handlers.record_payment(
        _ctx(), billing_id, amount, "staff_confirmation", staff.subject
    )
    return jsonify(
        {
            "billing_id": billing_id,
            "settled": billing.settled,
            "paid": str(billing.paid.amount if billing.paid else 0),
        }
    ), 201


def create_app(context: Context) -> Flask:
    """The billing API over `context`."""
    app = create_service_app("billing", context, OPENAPI)
    app.register_blueprint(bp)
    return app
