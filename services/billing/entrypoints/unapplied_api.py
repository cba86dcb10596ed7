"""Money received that paid no billing: the staff queue, and staff crediting held money to the
customer it belongs to (nothing received is ever dropped)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing.handlers.held import credit_held_payment
from shared.web.app import as_texts, json_body, require_staff, service_context
from shared.web.idempotency import idempotent
from shared.web.paging import Search, page_answer, paged_rows, queue_page

unapplied = Blueprint("unapplied", __name__)


class HeldCreditRequest(Schema):
    customer_id = fields.String(required=True, validate=validate.Length(min=1, max=100))


@unapplied.get("/queues/unapplied-payments")
def unapplied_payments_queue() -> ResponseReturnValue:
    """Payments credited to a deposit instead of a billing, and held ones first (staff)."""
    require_staff()
    page = queue_page()
    rows, total = paged_rows(
        "SELECT payment_id, billing_id, order_id, customer_id, reference, method, amount, "
        "currency, reason, status, at FROM unapplied_payments",
        "true",
        "status = 'held' DESC, at DESC, payment_id",
        Search(("billing_id", "reference", "order_id"), "order_id", "customer_id"),
        page,
    )
    payments = [as_texts(r) for r in rows]
    answer = {"queue": "unapplied_payments", "payments": payments}
    return jsonify({**answer, **page_answer(page, total)})


@unapplied.post("/held-payments/<hold_id>/credits")
@idempotent
def credit_held(hold_id: str) -> ResponseReturnValue:
    """Staff credit a held payment to the deposit of the customer who sent it."""
    staff = require_staff()
    body = json_body(HeldCreditRequest())
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
