"""The payment page (deposit first, then bank transfer or card, R8-R10) and the deposit
page with its balance and history."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.pages.common import (
    done,
    fetch,
    html_errors,
    page,
    send,
)
from services.gateway.entrypoints.sessions import signed_in

payment_pages = Blueprint("payment_pages", __name__)
html_errors(payment_pages)


@payment_pages.get("/billings/<billing_id>/pay")
def payment_page(billing_id: str) -> ResponseReturnValue:
    """What is open, what the deposit covers, and the two ways to pay the rest."""
    signed_in()
    billing = fetch("billing", f"/billings/{billing_id}")
    if billing.missing:
        abort(404)
    return page(
        "payment.html",
        billing_id=billing_id,
        billing=billing,
        payment=fetch("billing", f"/billings/{billing_id}/payment-page"),
        today=date.today().isoformat(),
    )


def _back(billing_id: str) -> str:
    order_id = request.form.get("order_id", "")
    return f"/orders/{order_id}" if order_id else f"/billings/{billing_id}/pay"


@payment_pages.post("/billings/<billing_id>/deposit")
def pay_with_deposit(billing_id: str) -> ResponseReturnValue:
    """Pay what the deposit covers (R8); the rest stays open for bank or card."""
    answer = send("billing", "POST", f"/billings/{billing_id}/deposit-payments", json={})
    if not answer.ok:
        return done(answer, "", f"/billings/{billing_id}/pay")
    left = answer.body["open"]
    if answer.body["settled"]:
        return done(answer, "Paid in full from your deposit.", _back(billing_id))
    return done(
        answer,
        f"{answer.body['applied']} {answer.body['currency']} paid from your deposit; "
        f"{left} {answer.body['currency']} remain to pay.",
        f"/billings/{billing_id}/pay",
    )


@payment_pages.post("/billings/<billing_id>/bank-report")
def report_bank_transfer(billing_id: str) -> ResponseReturnValue:
    """The payment-completion report of a bank transfer (R9)."""
    answer = send(
        "billing",
        "POST",
        f"/billings/{billing_id}/payment-reports",
        json={
            "payer_name": request.form.get("payer_name", ""),
            "paid_on": request.form.get("paid_on", ""),
            "amount": request.form.get("amount", ""),
            "currency": request.form.get("currency", ""),
        },
    )
    report = answer.body.get("report") if answer.ok else None
    sentence = report["sentence"] if isinstance(report, dict) else ""
    return done(answer, f"Thank you. {sentence}", _back(billing_id))


@payment_pages.post("/billings/<billing_id>/payment-reports/<report_id>/withdrawal")
def withdraw_bank_report(billing_id: str, report_id: str) -> ResponseReturnValue:
    """Withdraw a mistaken "I have made the transfer": the card is offered again (R9)."""
    answer = send(
        "billing",
        "POST",
        f"/billings/{billing_id}/payment-reports/{report_id}/withdrawal",
        json={},
    )
    return done(
        answer,
        "Your transfer report is withdrawn: pay by bank transfer or card below.",
        f"/billings/{billing_id}/pay",
    )


@payment_pages.post("/billings/<billing_id>/card")
def pay_by_card(billing_id: str) -> ResponseReturnValue:
    """ "Move to PayPal": the customer approves the total with the fee there (R10)."""
    answer = send(
        "billing",
        "POST",
        f"/billings/{billing_id}/card-payments",
        json={
            "return_url": url_for(
                "payment_pages.card_returned", billing_id=billing_id, _external=True
            ),
            "cancel_url": url_for(
                "payment_pages.payment_page", billing_id=billing_id, _external=True
            ),
        },
    )
    if not answer.ok:
        return done(answer, "", f"/billings/{billing_id}/pay")
    return redirect(answer.body["approval_url"], code=303)


@payment_pages.get("/billings/<billing_id>/card-returned")
def card_returned(billing_id: str) -> ResponseReturnValue:
    """Back from PayPal: the payment shows as soon as PayPal's notice arrives (R10)."""
    signed_in()
    billing = fetch("billing", f"/billings/{billing_id}")
    if billing.missing:
        abort(404)
    flash("PayPal has your payment; it shows here as soon as PayPal confirms it.", "success")
    target = f"/orders/{billing.value['order_id']}" if billing.shown else "/orders"
    return redirect(target, code=303)


@payment_pages.get("/deposit")
def deposit() -> ResponseReturnValue:
    """The deposit balance and its history (R8)."""
    signed_in()
    return page("deposit.html", deposit=fetch("billing", "/deposit"))
