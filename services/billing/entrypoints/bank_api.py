"""The payment page, bank transfer reports, and the bank's webhook (R8-R11)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.billing import views
from services.billing.config import config
from services.billing.domain.billing import PaymentReported
from services.billing.domain.held import HeldPayment
from services.billing.domain.transfer import ReceivingAccount, transfer_reference
from services.billing.entrypoints.request_fields import currency_field, positive_amount_field
from services.billing.entrypoints.transfer_view import report_sentence
from services.billing.handlers import DEPOSITS
from services.billing.handlers.bank import (
    BankNotice,
    receive_bank_notice,
    report_payment,
    withdraw_report,
)
from services.billing.handlers.common import owned_billing
from shared.domain_errors import ValidationError
from shared.money import Money
from shared.runtime import Context
from shared.web.app import current_identity, json_body, json_object, service_context
from shared.web.idempotency import idempotent
from shared.web.paging import staff_queue_page
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, HmacWebhookVerifier

bank = Blueprint("bank", __name__)


class PaymentReportRequest(Schema):
    payer_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    paid_on = fields.Date(required=True)
    amount = positive_amount_field(1_000_000)
    currency = currency_field()


class BankNoticeSchema(Schema):
    transaction_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    reference = fields.String(required=True, validate=validate.Length(min=1, max=100))
    amount = positive_amount_field(10_000_000)
    currency = currency_field()
    payer_name = fields.String(load_default="", validate=validate.Length(max=200))


def webhook_verifier(ctx: Context) -> HmacWebhookVerifier:
    """The bank webhook's verifier: the current secret and, while rotating, the previous."""
    secrets = config(ctx).bank_webhook_secrets
    if not secrets:
        raise ValidationError("CNNECT_BILLING_BANK_WEBHOOK_SECRETS is not configured")
    return HmacWebhookVerifier(secrets)


def account_json(account: ReceivingAccount) -> dict[str, Any]:
    """The receiving account as the payment page shows it."""
    return {
        "bank": account.bank,
        "branch": account.branch,
        "account_type": account.account_type,
        "number": account.number,
        "holder": account.holder,
        "development": account.development,
    }


@bank.get("/billings/<billing_id>/payment-page")
def payment_page(billing_id: str) -> ResponseReturnValue:
    """What the customer pays and how: deposit first, then bank or card (R8-R10)."""
    ctx = service_context()
    customer = current_identity().acting_customer

    def read(tx: Any) -> dict[str, Any]:
        found = owned_billing(tx, billing_id, customer)
        assert found.issued is not None
        open_amount = found.open_amount
        deposit = DEPOSITS.get(tx, found.issued.customer_id)
        usable = deposit.usable_for(open_amount)
        rest = open_amount - usable
        fee = Money(rest.amount * config(ctx).card_fee_percent / 100, rest.currency).rounded()
        return {
            "billing_id": billing_id,
            "kind": found.issued.kind,
            "amount": str(found.issued.amount.amount),
            "open": str(open_amount.amount),
            "currency": open_amount.currency,
            "deposit": {
                "balance": str(deposit.balance.amount if deposit.balance else 0),
                "applies": str(usable.amount),
            },
            "rest": str(rest.amount),
            "bank_transfer": {
                "account": account_json(config(ctx).bank_account),
                "amount": str(rest.amount),
                "reference": transfer_reference(billing_id),
                "expected_confirmation_if_reported_now": config(ctx)
                .calendar.expected_confirmation(ctx.clock.now())
                .isoformat(),
                "timezone": config(ctx).calendar.timezone,
                "pending_report": report_json(found.pending_report, config(ctx).calendar.timezone),
            },
            # Withheld while a reported transfer is pending: no paying twice by accident (R9).
            "card_withheld": found.pending_report is not None,
            "card": {
                "fee_percent": str(config(ctx).card_fee_percent),
                "fee": str(fee.amount),
                "total": str((rest + fee).amount),
            },
        }

    return jsonify(ctx.store.transact(read))


def report_json(report: PaymentReported | None, timezone: str) -> dict[str, Any] | None:
    """A pending transfer report as the pages show it (None when there is none)."""
    if report is None:
        return None
    return {
        "report_id": report.report_id,
        "amount": str(report.amount.amount),
        "currency": report.amount.currency,
        "paid_on": report.paid_on.isoformat(),
        "reported_at": report.reported_at.isoformat(),
        "expected_confirmation": report.expected_confirmation.isoformat(),
        "timezone": timezone,
        "sentence": report_sentence(
            str(report.amount),
            report.reported_at.astimezone(ZoneInfo(timezone)).date(),
            report.expected_confirmation,
            timezone,
        ),
    }


@bank.post("/billings/<billing_id>/payment-reports")
@idempotent
def payment_report(billing_id: str) -> ResponseReturnValue:
    """The customer reports a bank transfer (R9); staff or the bank confirm it."""
    identity = current_identity()
    body = json_body(PaymentReportRequest)
    found = report_payment(
        service_context(),
        billing_id,
        identity.acting_customer,
        body["payer_name"],
        body["paid_on"],
        Money(body["amount"], body["currency"]).rounded(),
        identity.subject,
    )
    assert found.pending_report is not None
    report = report_json(found.pending_report, config(service_context()).calendar.timezone)
    assert report is not None
    return jsonify(
        {
            "billing_id": billing_id,
            "reported": True,
            "report_id": report["report_id"],
            "expected_confirmation": report["expected_confirmation"],
            "timezone": report["timezone"],
            "report": report,
        }
    ), 201


@bank.post("/billings/<billing_id>/payment-reports/<report_id>/withdrawal")
@idempotent
def payment_report_withdrawal(billing_id: str, report_id: str) -> ResponseReturnValue:
    """Withdraw a mistaken transfer report: the card is offered again (R9)."""
    identity = current_identity()
    withdraw_report(
        service_context(),
        billing_id,
        identity.acting_customer,
        report_id,
        identity.subject,
    )
    return jsonify({"billing_id": billing_id, "report_id": report_id, "withdrawn": True})


@bank.post("/webhooks/bank")
def bank_webhook() -> ResponseReturnValue:
    """A transfer the bank received: signature checked before anything is read or stored."""
    ctx = service_context()
    raw = request.get_data(cache=True)
    webhook_verifier(ctx).verify(
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        raw,
        ctx.clock.now(),
    )
    data = BankNoticeSchema().load(json_object("the notice"))
    notice = BankNotice(
        data["transaction_id"],
        data["reference"],
        Money(data["amount"], data["currency"]).rounded(),
        data["payer_name"],
    )
    # Never an error for a verified notice: the money arrived, so it is recorded somewhere
    # (the billing, the customer's deposit, or held for staff) and the bank stops retrying.
    outcome = receive_bank_notice(ctx, notice)
    if outcome is None:
        return jsonify({"recorded": False, "duplicate": True})
    if isinstance(outcome, HeldPayment):
        return jsonify({"recorded": True, "held": True, "hold_id": outcome.hold_id}), 202
    return jsonify(
        {
            "recorded": True,
            "held": False,
            "applied": str(outcome.applied.amount),
            "to_deposit": str(outcome.to_deposit.amount),
            "settled": outcome.billing.settled,
        }
    )


@bank.get("/queues/payment-reports")
def payment_reports_queue() -> ResponseReturnValue:
    """Reported transfers waiting for a confirmation (staff)."""
    personal = service_context().personal
    return staff_queue_page(
        "payment_reports",
        "reports",
        lambda store, page: views.payment_reports(store, page, personal),
    )


@bank.get("/queues/unreported-transfers")
def unreported_transfers_queue() -> ResponseReturnValue:
    """Bank transfers that paid a billing nobody had reported (staff)."""
    return staff_queue_page("unreported_transfers", "transfers", views.unreported_transfers)
