"""Card payments through PayPal: the checkout and PayPal's capture webhooks (R10, R11)."""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields

from services.billing import views
from services.billing.adapters.paypal import (
    PayPalError,
    PayPalProtocolError,
    PayPalRejectedError,
    PayPalUnavailableError,
)
from services.billing.adapters.paypal_client import PayPalClient
from services.billing.adapters.paypal_webhooks import (
    PAYPAL_CERT_HOSTS,
    PayPalWebhookVerifier,
    parse_capture_event,
)
from services.billing.config import config
from services.billing.handlers.card import (
    capture_card_payment,
    receive_capture,
    start_card_payment,
)
from shared.domain_errors import ValidationError
from shared.runtime import Context
from shared.web.app import current_identity, json_body, json_object, service_context
from shared.web.errors import error_response
from shared.web.idempotency import idempotent
from shared.web.paging import staff_queue_page

card = Blueprint("card", __name__)
log = logging.getLogger(__name__)
PAYPAL_TIMEOUT_S = 8.0
OTHER_WAYS = "Nothing was charged. You can pay by bank transfer or from your deposit instead."


class CheckoutRequest(Schema):
    return_url = fields.Url(required=True, schemes={"https", "http"})
    cancel_url = fields.Url(required=True, schemes={"https", "http"})


def paypal_client(ctx: Context) -> PayPalClient:
    """The process's PayPal client (its token is cached between requests)."""
    client: PayPalClient | None = current_app.extensions.get("cnnect.paypal")
    if client is None:
        found = config(ctx).paypal
        # A customer waits on each call: a PayPal that hangs is given up after 8 s and
        # tried again (the gateway's card pages wait for all the attempts).
        client = PayPalClient(
            found.base_url, found.client_id, found.client_secret, PAYPAL_TIMEOUT_S
        )
        current_app.extensions["cnnect.paypal"] = client
    return client


def paypal_verifier(ctx: Context) -> PayPalWebhookVerifier:
    """The process's webhook verifier (its certificates are cached between requests)."""
    verifier: PayPalWebhookVerifier | None = current_app.extensions.get("cnnect.paypal_verifier")
    if verifier is None:
        found = config(ctx).paypal
        verifier = PayPalWebhookVerifier(
            found.webhook_id or "unconfigured-webhook-id",
            found.cert_hosts or PAYPAL_CERT_HOSTS,
            allow_insecure_local_certs=found.allow_insecure_local_certs,
        )
        current_app.extensions["cnnect.paypal_verifier"] = verifier
    return verifier


@card.post("/billings/<billing_id>/card-payments")
@idempotent
def checkout(billing_id: str) -> ResponseReturnValue:
    """Start paying the rest after the deposit by card: the total with the fee, and the
    PayPal link to approve it; no card data ever passes through us (R10)."""
    identity = current_identity()
    body = json_body(CheckoutRequest)
    ctx = service_context()
    result = start_card_payment(
        ctx,
        paypal_client(ctx),
        billing_id,
        identity.acting_customer,
        config(ctx).card_fee_percent,
        body["return_url"],
        body["cancel_url"],
        identity.subject,
    )
    started = result.started
    return jsonify(
        {
            "billing_id": billing_id,
            "paypal_order_id": started.paypal_order_id,
            "approval_url": started.approval_url,
            "amount": str(started.amount.amount),
            "fee": str(started.fee.amount),
            "total": str(started.total.amount),
            "currency": started.total.currency,
        }
    ), 201


@card.post("/billings/<billing_id>/card-payments/<order_id>/capture")
@idempotent
def capture(billing_id: str, order_id: str) -> ResponseReturnValue:
    """The customer approved at PayPal and is back: take the money (R10). The capture
    webhook records the payment; this answers what PayPal said (COMPLETED, PENDING,
    DECLINED, or ALREADY_CAPTURED for a repeat)."""
    identity = current_identity()
    ctx = service_context()
    outcome = capture_card_payment(
        ctx,
        paypal_client(ctx),
        billing_id,
        identity.acting_customer,
        order_id,
    )
    return jsonify({"billing_id": billing_id, "paypal_order_id": order_id, **outcome}), 200


@card.post("/webhooks/paypal")
def paypal_webhook() -> ResponseReturnValue:
    """A PayPal notice: verified before anything is read or stored (R11)."""
    ctx = service_context()
    raw = request.get_data(cache=True)
    paypal_verifier(ctx).verify(dict(request.headers), raw, ctx.clock.now())
    try:
        notice = parse_capture_event(json_object("the notice"))
    except PayPalProtocolError as exc:
        # The notice is the request itself, not PayPal's answer to a call of ours: one that
        # cannot be read is a bad request (400, and PayPal delivers it again), not a 502.
        raise ValidationError(f"the notice cannot be read: {exc}") from None
    if notice is None:
        return jsonify({"recorded": False, "ignored": True})
    return jsonify({"recorded": receive_capture(ctx, notice)})


@card.get("/queues/captures-in-review")
def captures_in_review() -> ResponseReturnValue:
    """Card captures staff must look at (amount mismatch, refunds at PayPal)."""
    return staff_queue_page("captures_in_review", "captures", views.captures_in_review)


def register_paypal_errors(app: Flask) -> None:
    """PayPal away: 503 (try again); PayPal refusing: 502 payment_provider_refused; PayPal
    answering nonsense: 502 payment_provider_error. Each a sentence for the customer, who
    reads it on the payment page; PayPal's own words go to the log."""

    def unavailable(exc: Exception) -> ResponseReturnValue:
        log.warning("PayPal unavailable: %s", exc)
        return error_response(
            503,
            "payment_provider_unavailable",
            f"PayPal cannot be reached right now. {OTHER_WAYS}",
        )

    def refused(exc: Exception) -> ResponseReturnValue:
        log.warning("PayPal refused: %s", exc)
        return error_response(
            502, "payment_provider_refused", f"PayPal refused the card payment. {OTHER_WAYS}"
        )

    def failed(exc: Exception) -> ResponseReturnValue:
        log.warning("PayPal answered something unreadable: %s", exc)
        return error_response(
            502,
            "payment_provider_error",
            f"PayPal answered something we could not understand. {OTHER_WAYS}",
        )

    app.register_error_handler(PayPalUnavailableError, unavailable)
    app.register_error_handler(PayPalRejectedError, refused)
    app.register_error_handler(PayPalError, failed)
