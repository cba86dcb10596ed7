"""The events of a billing's stream (the aggregate is in billing.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.billing.domain.pricing import BillingLine, ServiceFee
from shared.money import Money


@dataclass(frozen=True)
class BillingIssued:
    billing_id: str
    order_id: str
    customer_id: str
    kind: str
    revision: int
    amount: Money
    lines: list[BillingLine]
    exchange_rate: Decimal | None
    issued_at: datetime
    # Contract v2: what is paid of this revision, and whether that covers it. A revision that
    # lowers the amount to what was paid settles the billing without a payment (R17).
    paid: Money | None = None
    settled: bool = False
    # Contract v3 (R4): the date of `exchange_rate` and the service fee rule the lines were
    # computed with; a revision keeps both (the customer was billed at that rate and rule).
    rate_date: date | None = None
    service_fee: ServiceFee | None = None


@dataclass(frozen=True)
class PaymentReceived:
    payment_id: str
    billing_id: str
    order_id: str
    customer_id: str
    kind: str
    amount: Money
    method: str
    billing_settled: bool
    received_at: datetime
    revision: int | None = None  # contract v2: the billing revision it paid


@dataclass(frozen=True)
class BillingVoided:
    """The order was cancelled: nothing more is to be paid on this billing."""

    billing_id: str
    order_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class BillingRefunded:
    """Money this billing took goes back to the customer's deposit (the deposit credit is
    written in the same transaction). kind: excess (a revision lowered the amount below what
    was paid, R17), item (an unavailable item, R20) or cancel (the order was cancelled)."""

    billing_id: str
    order_id: str
    customer_id: str
    refund_id: str
    amount: Money
    kind: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PaymentDiverted:
    """Money received for this billing that it cannot take (voided, already paid, or more than
    is open): it goes to the customer's deposit and shows in the staff queue."""

    billing_id: str
    order_id: str
    customer_id: str
    payment_id: str
    amount: Money
    method: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PaymentReported:
    """The customer says they transferred money; the bank or staff will confirm it (R9)."""

    billing_id: str
    report_id: str
    payer_name: str
    paid_on: date
    amount: Money
    reported_at: datetime
    expected_confirmation: date


@dataclass(frozen=True)
class PaymentReportWithdrawn:
    """The customer (or staff) withdrew a mistaken transfer report: the card may pay again."""

    billing_id: str
    report_id: str
    by: str
    at: datetime


@dataclass(frozen=True)
class CardPaymentStarted:
    """A PayPal order for the rest of the billing plus the card fee (R10)."""

    billing_id: str
    paypal_order_id: str
    amount: Money  # what it pays of the billing
    fee: Money
    total: Money  # what the customer is charged
    approval_url: str
    at: datetime


@dataclass(frozen=True)
class CardCaptureNoted:
    """A capture notice that records no payment: pending, denied, or sent to staff review."""

    billing_id: str
    capture_id: str
    status: str  # pending | denied | review
    reason: str
    amount: Money
    at: datetime


EVENT_TYPES: tuple[type, ...] = (
    BillingIssued,
    PaymentReceived,
    BillingVoided,
    PaymentReported,
    CardPaymentStarted,
    CardCaptureNoted,
    BillingRefunded,
    PaymentDiverted,
    PaymentReportWithdrawn,
)


def deposit_credits(events: list[object]) -> list[tuple[str, Money, str, str]]:
    """The deposit credits a billing's new events imply: (entry id, amount, kind, reason).

    The handlers write them in the same transaction as the events, so money leaving a billing
    always arrives in the deposit, once."""
    credits = []
    for event in events:
        if isinstance(event, BillingRefunded):
            credits.append((event.refund_id, event.amount, "refund", event.reason))
        elif isinstance(event, PaymentDiverted):
            credits.append((event.payment_id, event.amount, "overpayment", event.reason))
    return credits
