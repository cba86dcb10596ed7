"""The billing aggregate: one billing (1st: goods, 2nd: international shipping) and the
payments recorded against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from services.billing.domain.pricing import BillingLine
from shared.events.aggregate import EventSourced
from shared.events.errors import InvalidTransitionError, NotFoundError, ValidationError
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


@dataclass(frozen=True)
class BillingVoided:
    """The order was cancelled: nothing more is to be paid on this billing."""

    billing_id: str
    order_id: str
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
)


@dataclass
class Billing(EventSourced):
    """What a billing's history adds up to."""

    billing_id: str
    issued: BillingIssued | None = None
    paid: Money | None = None
    voided: bool = False
    card_orders: dict[str, CardPaymentStarted] = field(default_factory=dict)
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, BillingIssued):
            self.issued = event
            self.paid = self.paid or Money.zero(event.amount.currency)
        elif isinstance(event, PaymentReceived) and self.paid is not None:
            self.paid = self.paid + event.amount
        elif isinstance(event, BillingVoided):
            self.voided = True
        elif isinstance(event, CardPaymentStarted):
            self.card_orders[event.paypal_order_id] = event

    @property
    def settled(self) -> bool:
        """True once payments cover the amount."""
        return bool(self.issued and self.paid is not None and self.issued.amount <= self.paid)

    def issue(self, issued: BillingIssued) -> list[object]:
        """Issue the billing once; a repeated request (same billing id) changes nothing."""
        return [] if self.issued else [issued]

    def report_payment(
        self,
        report_id: str,
        payer_name: str,
        paid_on: date,
        amount: Money,
        now: datetime,
        expected_confirmation: date,
    ) -> list[object]:
        """The customer's payment-completion report of a bank transfer (R9)."""
        open_amount = self.open_amount
        if self.voided or self.settled:
            raise InvalidTransitionError(f"billing {self.billing_id} has nothing left to pay")
        if amount.currency != open_amount.currency or amount.amount <= 0:
            raise ValidationError(f"report a positive amount in {open_amount.currency}")
        if paid_on > now.date():
            raise ValidationError("the transfer date cannot be in the future")
        return [
            PaymentReported(
                self.billing_id,
                report_id,
                payer_name.strip(),
                paid_on,
                amount,
                now,
                expected_confirmation,
            )
        ]

    def card_payment_due(self, fee_percent: Decimal, deposit_applies: Money) -> tuple[Money, Money]:
        """What a card pays of the billing after the deposit, and the card fee on it (R10)."""
        rest = self.open_amount - deposit_applies
        if self.voided or rest.amount <= 0:
            raise InvalidTransitionError(f"billing {self.billing_id} has nothing left to pay")
        return rest, Money(rest.amount * fee_percent / 100, rest.currency).rounded()

    def matching_card_payment(
        self, paypal_order_id: str | None, captured: Money
    ) -> CardPaymentStarted | None:
        """Our card payment that a completed capture pays, if it captured what we asked for."""
        started = self.card_orders.get(paypal_order_id or "")
        if started is None or captured != started.total or self.settled or self.voided:
            return None
        return started

    def note_capture(
        self, capture_id: str, status: str, reason: str, amount: Money, now: datetime
    ) -> list[object]:
        """A capture that pays nothing (pending, denied) or that staff must review."""
        return [CardCaptureNoted(self.billing_id, capture_id, status, reason, amount, now)]

    def void(self, reason: str, now: datetime) -> list[object]:
        """Nothing more is due (the order was cancelled); what was paid is refunded apart."""
        if self.issued is None or self.voided:
            return []
        return [BillingVoided(self.billing_id, self.issued.order_id, reason, now)]

    def revise(self, lines: list[BillingLine], amount: Money, now: datetime) -> list[object]:
        """A new version of an unpaid billing (items changed before payment, R17)."""
        if self.issued is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        if self.paid is None or not self.paid.is_zero:
            raise InvalidTransitionError(f"billing {self.billing_id} is paid; it cannot change")
        if amount == self.issued.amount and lines == self.issued.lines:
            return []
        previous = self.issued
        return [
            BillingIssued(
                previous.billing_id,
                previous.order_id,
                previous.customer_id,
                previous.kind,
                previous.revision + 1,
                amount,
                lines,
                previous.exchange_rate,
                now,
            )
        ]

    @property
    def open_amount(self) -> Money:
        """What is still to pay (the billing's balance)."""
        if self.issued is None or self.paid is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        rest = self.issued.amount - self.paid
        return rest if rest.amount > 0 else Money.zero(rest.currency)

    def record_payment(
        self, payment_id: str, amount: Money, method: str, now: datetime
    ) -> tuple[list[object], Money]:
        """Record a payment: what covers the open amount, and the excess (for the deposit).

        A payment short of the open amount leaves the rest open (R9); the billing is settled
        when its payments cover it."""
        open_amount = self.open_amount
        assert self.issued is not None
        if self.settled:
            raise InvalidTransitionError(f"billing {self.billing_id} is already paid")
        if self.voided:
            raise InvalidTransitionError(
                f"billing {self.billing_id} was voided: its order is cancelled"
            )
        if amount.currency != open_amount.currency:
            raise ValidationError(f"billing {self.billing_id} is in {open_amount.currency}")
        if amount.amount <= 0:
            raise ValidationError("a payment must be positive")
        applied = amount if amount <= open_amount else open_amount
        received = PaymentReceived(
            payment_id,
            self.billing_id,
            self.issued.order_id,
            self.issued.customer_id,
            self.issued.kind,
            applied,
            method,
            applied == open_amount,
            now,
        )
        return [received], amount - applied
