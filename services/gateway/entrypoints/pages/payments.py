"""The payment page (deposit first, then bank transfer or card, R8-R10) and the deposit
page with its balance and history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.pages.common import (
    Part,
    client,
    done,
    fetch,
    html_errors,
    page,
    send,
)
from services.gateway.entrypoints.pages.form_errors import (
    PAYMENT_REPORT_FORM,
    FormErrors,
    refusal,
)
from services.gateway.entrypoints.sessions import identity_of, signed_in

payment_pages = Blueprint("payment_pages", __name__)
# How long the card pages wait for billing, which waits for PayPal: billing's attempts at
# PayPal (4, at most 8 s each, services/billing/entrypoints/card_api.py) and their backoff.
PAYPAL_WAIT_S = 40.0
# How often the confirmation page may be asked again ("Check now"; its script asks billing
# once a second by itself) before it asks the customer to look at the order later.
CONFIRMATION_TRIES = 60
html_errors(payment_pages)


@payment_pages.get("/billings/<billing_id>/pay")
def payment_page(billing_id: str) -> ResponseReturnValue:
    """What is open, what the deposit covers, and the two ways to pay the rest."""
    return _payment_page(billing_id)


def _payment_page(billing_id: str, errors: FormErrors | None = None) -> str:
    """The payment page; `errors`: the refused bank transfer report, shown again as typed
    with each reason beside its field."""
    signed_in()
    billing = _billing(billing_id)
    return page(
        "payment.html",
        billing_id=billing_id,
        billing=billing,
        payment=fetch("billing", f"/billings/{billing_id}/payment-page"),
        today=date.today().isoformat(),
        errors=errors or FormErrors(),
        typed=request.form if errors else {},
    )


def _billing(billing_id: str) -> Part:
    """The billing as the caller may see it (404 when it is none of theirs)."""
    billing = fetch("billing", f"/billings/{billing_id}")
    if billing.missing:
        abort(404)
    return billing


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
    if answer.status == 400:
        return _payment_page(billing_id, refusal(answer, PAYMENT_REPORT_FORM)), 400
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
                "payment_pages.card_cancelled", billing_id=billing_id, _external=True
            ),
        },
        provider_errors=True,  # PayPal away or refusing: said on the payment page
        timeout_s=PAYPAL_WAIT_S,
    )
    if not answer.ok:
        return done(answer, "", f"/billings/{billing_id}/pay")
    return redirect(answer.body["approval_url"], code=303)


@payment_pages.get("/billings/<billing_id>/card-cancelled")
def card_cancelled(billing_id: str) -> ResponseReturnValue:
    """The customer cancelled at PayPal: back on the payment page, with the other ways."""
    signed_in()
    _billing(billing_id)  # 404 when it is none of the caller's
    flash(
        "You cancelled the payment at PayPal; nothing was charged. You can pay by card again, "
        "by bank transfer or from your deposit.",
        "error",
    )
    return redirect(f"/billings/{billing_id}/pay", code=303)


@payment_pages.get("/billings/<billing_id>/card-returned")
def card_returned(billing_id: str) -> ResponseReturnValue:
    """Back from PayPal, approved: take the money (the capture), then wait on a page that
    refreshes itself until PayPal's notice shows the billing paid (R10)."""
    session = signed_in()
    order_id = request.args.get("token", "")
    if not order_id:  # not from PayPal: nothing to capture
        _billing(billing_id)  # 404 when it is none of the caller's
        return redirect(f"/billings/{billing_id}/pay", code=303)
    # PayPal sends the customer here with a GET; the capture is keyed by the PayPal order,
    # so a reload (or a second tab) captures once.
    answer = client(PAYPAL_WAIT_S).call(
        "billing",
        "POST",
        f"/billings/{billing_id}/card-payments/{order_id}/capture",
        identity_of(session),
        json={},
        idempotency_key=f"capture-{order_id}",
        provider_errors=True,
    )
    if answer.status == 404:
        abort(404)
    if not answer.ok:
        flash(answer.message, "error")  # billing's sentence: nothing charged, other ways
        return redirect(f"/billings/{billing_id}/pay", code=303)
    if answer.body.get("capture_status") == "DECLINED":
        flash(
            "PayPal declined the card; nothing was charged. You can try another card, or pay "
            "by bank transfer or from your deposit.",
            "error",
        )
        return redirect(f"/billings/{billing_id}/pay", code=303)
    return redirect(_confirmation(billing_id, answer.body, 0), code=303)


def _confirmation(billing_id: str, captured: Mapping[str, Any], tries: int) -> str:
    """The confirmation page's URL, carrying the figures to say once paid."""
    figures = {k: str(captured.get(k, "")) for k in ("amount", "fee", "total", "currency")}
    query = urlencode({**figures, "tries": str(tries)})
    return f"/billings/{billing_id}/card-confirmation?{query}"


@payment_pages.get("/billings/<billing_id>/card-confirmation")
def card_confirmation(billing_id: str) -> ResponseReturnValue:
    """Waiting for PayPal's notice: the page's script asks billing (a bounded number of
    times) and comes back here once the billing shows paid; then this goes to the order
    page, saying what was paid."""
    signed_in()
    billing = _billing(billing_id)
    figures = {k: request.args.get(k, "") for k in ("amount", "fee", "total", "currency")}
    paid = (
        f"Paid {figures['amount']} {figures['currency']} by card through PayPal, with a card "
        f"fee of {figures['fee']} {figures['currency']} ({figures['total']} "
        f"{figures['currency']} in all)."
        if figures["total"]
        else "Paid by card through PayPal."
    )
    if billing.shown and billing.value.get("status") == "paid":
        flash(paid, "success")
        return redirect(f"/orders/{billing.value['order_id']}", code=303)
    tries = request.args.get("tries", "0")
    count = int(tries) if tries.isdigit() else 0
    again = _confirmation(billing_id, figures, count + 1) if count < CONFIRMATION_TRIES else None
    order_id = billing.value["order_id"] if billing.shown else ""
    return page(
        "card_confirmation.html",
        billing_id=billing_id,
        order_id=order_id,
        figures=figures,
        refresh=again,
    )


@payment_pages.get("/deposit")
def deposit() -> ResponseReturnValue:
    """The deposit balance and its history (R8)."""
    signed_in()
    return page("deposit.html", deposit=fetch("billing", "/deposit"))
