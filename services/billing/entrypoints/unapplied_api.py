"""Money received that paid no billing: the staff queue, and staff crediting held money to the
customer it belongs to (nothing received is ever dropped)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing import views
from services.billing.handlers.held import credit_held_payment
from shared.web.app import json_body, require_staff, service_context
from shared.web.idempotency import idempotent
from shared.web.paging import staff_queue_page

unapplied = Blueprint("unapplied", __name__)


class HeldCreditRequest(Schema):
    customer_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


@unapplied.get("/queues/unapplied-payments")
def unapplied_payments_queue() -> ResponseReturnValue:
    """Payments credited to a deposit instead of a billing, and held ones first (staff)."""
    return staff_queue_page("unapplied_payments", "payments", views.unapplied_payments)


@unapplied.post("/held-payments/<hold_id>/credits")
@idempotent
def credit_held(hold_id: str) -> ResponseReturnValue:
    """Staff credit a held payment to the deposit of the customer who sent it."""
    staff = require_staff()
    body = json_body(HeldCreditRequest)
    found = credit_held_payment(service_context(), hold_id, body["customer_id"], staff.subject)
    assert found.held is not None
    return jsonify(
        {
            "hold_id": hold_id,
            "customer_id": found.credited_to,
            "amount": str(found.held.amount.amount),
            "currency": found.held.amount.currency,
        }
    ), 201
