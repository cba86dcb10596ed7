"""The billing HTTP API: billings of an order, payments, the deposit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing import views
from services.billing.config import config
from services.billing.entrypoints.bank_api import (
    BankNoticeSchema,
    PaymentReportRequest,
    bank,
)
from services.billing.entrypoints.calendar_api import CalendarQuery, calendar_api
from services.billing.entrypoints.card_api import CheckoutRequest, card, register_paypal_errors
from services.billing.entrypoints.fees_api import fees_api
from services.billing.entrypoints.figures import with_figures
from services.billing.entrypoints.request_fields import (
    amount_field,
    currency_field,
    positive_amount_field,
)
from services.billing.entrypoints.transfer_view import transfer_fields
from services.billing.entrypoints.unapplied_api import HeldCreditRequest, unapplied
from services.billing.handlers.forgetting import customer_open_money
from services.billing.handlers.payments import (
    PaymentOutcome,
    adjust_deposit,
    pay_with_deposit,
    record_payment,
)
from shared.domain_errors import NotFoundError
from shared.events.codec import to_json
from shared.money import Money
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
from shared.web.openapi import document, operation, write
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER

bp = Blueprint("billing", __name__)
PAYPAL_HEADERS = (
    "PAYPAL-TRANSMISSION-ID",
    "PAYPAL-TRANSMISSION-TIME",
    "PAYPAL-TRANSMISSION-SIG",
    "PAYPAL-CERT-URL",
    "PAYPAL-AUTH-ALGO",
)


def _webhook(summary: str, caller: str, body: Any, headers: tuple[str, ...]) -> dict[str, Any]:
    return {
        **operation(summary, caller, body=body),
        "parameters": [
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in headers
        ],
    }


def _openapi() -> dict[str, Any]:
    # Built after the request schemas below are defined: they are what the document describes.
    return document(
        "CNNECT billing",
        {
            "/orders/{order_id}/billings": {"get": operation("The billings of an order (R4)")},
            "/billings/{billing_id}": {"get": operation("One billing with its payments")},
            "/billings/{billing_id}/payments": {
                "post": write("Confirm a payment received", "staff", body=PaymentRequest)
            },
            "/billings/{billing_id}/deposit-payments": {"post": write("Pay from the deposit (R8)")},
            "/deposit": {
                "get": {
                    **operation("The caller's deposit and its history (R8)"),
                    "parameters": [
                        {
                            "name": "customer_id",
                            "in": "query",
                            "schema": {"type": "string"},
                            "description": "staff only: whose deposit",
                        }
                    ],
                }
            },
            "/billings/{billing_id}/payment-page": {
                "get": operation("Deposit first, then bank or card with its fee (R8-R10)")
            },
            "/billings/{billing_id}/payment-reports": {
                "post": write("Report a bank transfer (R9)", body=PaymentReportRequest)
            },
            "/webhooks/bank": {
                "post": _webhook(
                    "A bank's transfer notice, HMAC-signed (R11)",
                    "the bank",
                    BankNoticeSchema,
                    (TIMESTAMP_HEADER, SIGNATURE_HEADER),
                )
            },
            "/billings/{billing_id}/payment-reports/{report_id}/withdrawal": {
                "post": write("Withdraw a mistaken transfer report: the card is offered again")
            },
            "/queues/payment-reports": {"get": operation("Transfers to confirm", "staff")},
            "/queues/unreported-transfers": {
                "get": operation("Bank transfers received without a report", "staff")
            },
            "/calendar": {
                "get": operation(
                    "Business days and bank holidays; ?from=YYYY-MM-DD&days=1..62 (R9)",
                    "anyone",
                    query=CalendarQuery,
                )
            },
            "/fees": {
                "get": operation(
                    "The service fee rule and the card fee from configuration (R4, R10)", "anyone"
                )
            },
            "/billings/{billing_id}/card-payments": {
                "post": write("Pay the rest by card through PayPal (R10)", body=CheckoutRequest)
            },
            "/billings/{billing_id}/card-payments/{order_id}/capture": {
                "post": write("Capture the card payment approved at PayPal (R10)")
            },
            "/webhooks/paypal": {
                "post": _webhook(
                    "PayPal capture notices, verified (R11)",
                    "PayPal",
                    {"type": "object"},
                    PAYPAL_HEADERS,
                )
            },
            "/queues/captures-in-review": {"get": operation("Card captures to review", "staff")},
            "/queues/unapplied-payments": {
                "get": operation("Money received that paid no billing", "staff")
            },
            "/held-payments/{hold_id}/credits": {
                "post": write(
                    "Credit a held payment to a customer's deposit", "staff", body=HeldCreditRequest
                )
            },
            "/customers/{customer_id}/deposit/adjustments": {
                "post": write("Adjust a deposit with a reason", "staff", body=AdjustmentRequest)
            },
            "/customers/{customer_id}/open-money": {
                "get": operation("What a customer still owes or is owed (forgetting)", "staff")
            },
        },
    )


class PaymentRequest(Schema):
    amount = positive_amount_field(1_000_000)
    currency = currency_field()


class AdjustmentRequest(Schema):
    amount = amount_field(-1_000_000, 1_000_000)
    currency = currency_field()
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


def _billings(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    identity = current_identity()
    rows = [r for r in found if identity.may_see(r["customer_id"])]
    # The reference to transfer with, a reported transfer still awaited, the balance in words.
    transfers = transfer_fields(rows, config(service_context()).calendar.timezone)
    return [{**_billing(r), **transfers[r["billing_id"]]} for r in rows]


def _billing(row: dict[str, Any]) -> dict[str, Any]:
    return {**jsonable(row), "balance": str(views.balance(row))}


def _outcome(outcome: PaymentOutcome) -> ResponseReturnValue:
    found = outcome.billing
    return jsonify(
        {
            "billing_id": found.billing_id,
            "settled": found.settled,
            "applied": str(outcome.applied.amount),
            "to_deposit": str(outcome.to_deposit.amount),
            # A voided billing has nothing open (money for it went to the deposit).
            "open": str(found.open_amount.amount if not found.voided else 0),
            "currency": outcome.applied.currency,
        }
    ), 201


@bp.get("/orders/<order_id>/billings")
def order_billings(order_id: str) -> ResponseReturnValue:
    """The 1st and 2nd billing of an order, each with amount, paid, balance, status (R4)."""
    rows = _billings(views.billings_of_order(service_context().store, order_id))
    if not rows:
        raise NotFoundError(f"no billing for order {order_id}")
    # R4: each with its rate and its date, its CNY lines, its fee rule, formatted amounts
    return jsonify({"billings": [with_figures(b) for b in rows]})


@bp.get("/billings/<billing_id>")
def get_billing(billing_id: str) -> ResponseReturnValue:
    """One billing."""
    found = views.billing(service_context().store, billing_id)
    rows = _billings([found] if found else [])
    if not rows:
        raise NotFoundError(f"billing {billing_id} not found")
    return jsonify(with_figures(rows[0]))


@bp.post("/billings/<billing_id>/payments")
@idempotent
def confirm_payment(billing_id: str) -> ResponseReturnValue:
    """Staff confirm money received for a billing; an excess goes to the deposit (R9)."""
    staff = require_staff()
    body = json_body(PaymentRequest)
    amount = Money(body["amount"], body["currency"]).rounded()
    return _outcome(
        record_payment(service_context(), billing_id, amount, "staff_confirmation", staff.subject)
    )


@bp.post("/billings/<billing_id>/deposit-payments")
@idempotent
def deposit_payment(billing_id: str) -> ResponseReturnValue:
    """Pay as much of the billing as the deposit covers; the rest stays open (R8)."""
    identity = current_identity()
    return _outcome(
        pay_with_deposit(service_context(), billing_id, identity.acting_customer, identity.subject)
    )


@bp.get("/deposit")
def deposit() -> ResponseReturnValue:
    """The caller's deposit balance and history (staff: `?customer_id=`)."""
    identity = current_identity()
    customer = (
        request.args.get("customer_id", identity.subject)
        if identity.is_staff
        else (identity.subject)
    )
    return jsonify(views.deposit(service_context().store, customer))


@bp.post("/customers/<customer_id>/deposit/adjustments")
@idempotent
def adjustment(customer_id: str) -> ResponseReturnValue:
    """A staff adjustment of a deposit, with a reason; never below zero."""
    staff = require_staff()
    body = json_body(AdjustmentRequest)
    found = adjust_deposit(
        service_context(),
        customer_id,
        Money(body["amount"], body["currency"]),
        body["reason"],
        staff.subject,
    )
    return jsonify(
        {"customer_id": customer_id, "balance": str(found.balance.amount if found.balance else 0)}
    ), 201


@bp.get("/customers/<customer_id>/open-money")
def open_money(customer_id: str) -> ResponseReturnValue:
    """Every sum still open with the customer (staff): a billing not paid, money to give back,
    their deposit; a customer is forgotten only when none is left (issue 21's legal hold)."""
    require_staff()
    found = customer_open_money(service_context(), customer_id)
    return jsonify(
        {
            "billings": [
                {
                    "billing_id": sum_.billing_id,
                    "order_id": sum_.order_id,
                    "kind": sum_.kind,
                    "owed": to_json(sum_.owed),
                    "reason": sum_.reason,
                }
                for sum_ in found
            ]
        }
    )


OPENAPI: dict[str, Any] = _openapi()


def create_app(context: Context) -> Flask:
    """The billing API over `context`."""
    app = create_service_app("billing", context, OPENAPI)
    app.register_blueprint(bp)
    app.register_blueprint(bank)
    app.register_blueprint(calendar_api)
    app.register_blueprint(fees_api)
    app.register_blueprint(card)
    app.register_blueprint(unapplied)
    register_paypal_errors(app)
    return app
