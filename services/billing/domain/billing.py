"""The billing aggregate: one billing (1st: goods, 2nd: international shipping) and the
payments recorded against it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from services.billing.domain.billing_events import (
    EVENT_TYPES,
    BillingIssued,
    BillingRefunded,
    BillingVoided,
    CardCaptureNoted,
    CardPaymentStarted,
    PaymentDiverted,
    PaymentReceived,
    PaymentReported,
    PaymentReportWithdrawn,
    deposit_credits,
)
from services.billing.domain.pricing import BillingLine
from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.events.aggregate import EventSourced
from shared.money import Money

__all__ = [
    "EVENT_TYPES",
    "Billing",
    "BillingIssued",
    "BillingRefunded",
    "BillingVoided",
    "CardCaptureNoted",
    "CardPaymentStarted",
    "PaymentDiverted",
    "PaymentReceived",
    "PaymentReportWithdrawn",
    "PaymentReported",
    "deposit_credits",
]


# Payments that are the reported transfer arriving: the bank's notice, or staff confirming it.
REPORT_MATCHING_METHODS = frozenset({"bank_transfer", "staff_confirmation"})


def ends_pending_report(method: str, settles: bool) -> bool:
    """A payment ends the billing's pending report (R9) when it is the reported transfer
    arriving, or when it settles the billing (the aggregate and the read models follow this)."""
    return method in REPORT_MATCHING_METHODS or settles


@dataclass
class Billing(EventSourced):
    """What a billing's history adds up to."""

    billing_id: str
    issued: BillingIssued | None = None
    paid: Money | None = None  # what counts toward the amount: payments less excess refunds
    received: Money | None = None  # every payment this billing took
    refunded: Money | None = None  # every refund it made, whatever the reason
    voided: bool = False
    card_orders: dict[str, CardPaymentStarted] = field(default_factory=dict)
    # A reported transfer not yet matched by a bank payment nor withdrawn (R9): while it is
    # pending the card is withheld, so the customer cannot pay twice by accident.
    pending_report: PaymentReported | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, BillingIssued):
            self.issued = event
            zero = Money.zero(event.amount.currency)
            self.paid = self.paid or zero
            self.received = self.received or zero
            self.refunded = self.refunded or zero
        elif isinstance(event, PaymentReceived) and self.paid is not None:
            self.paid = self.paid + event.amount
            self.received = (self.received or Money.zero(event.amount.currency)) + event.amount
            if ends_pending_report(event.method, event.billing_settled):
                self.pending_report = None
        elif isinstance(event, PaymentReported):
            self.pending_report = event
        elif isinstance(event, PaymentReportWithdrawn):
            self.pending_report = None
        elif isinstance(event, BillingRefunded) and self.paid is not None:
            self.refunded = (self.refunded or Money.zero(event.amount.currency)) + event.amount
            if event.kind == "excess":
                self.paid = self.paid - event.amount
        elif isinstance(event, BillingVoided):
            self.voided = True
            self.pending_report = None
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
        pending = self.pending_report
        if pending is not None:
            raise InvalidTransitionError(
                f"You already reported a transfer of {pending.amount} on "
                f"{pending.reported_at.date().isoformat()}; withdraw that report first if it "
                "was a mistake."
            )
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

    def withdraw_report(self, report_id: str, by: str, now: datetime) -> list[object]:
        """Withdraw the pending transfer report `report_id` (a mistaken "I have made the
        transfer"); withdrawing it again changes nothing."""
        pending = self.pending_report
        if pending is None or pending.report_id != report_id:
            raise InvalidTransitionError(
                f"There is no pending transfer report {report_id} on billing {self.billing_id}:"
                " it was already matched to a payment or withdrawn."
            )
        return [PaymentReportWithdrawn(self.billing_id, report_id, by, now)]

    def card_payment_due(self, fee_percent: Decimal, deposit_applies: Money) -> tuple[Money, Money]:
        """What a card pays of the billing after the deposit, and the card fee on it (R10)."""
        rest = self.open_amount - deposit_applies
        if self.voided or rest.amount <= 0:
            raise InvalidTransitionError(f"billing {self.billing_id} has nothing left to pay")
        pending = self.pending_report
        if pending is not None:
            raise InvalidTransitionError(
                f"You reported a bank transfer of {pending.amount} for this billing on "
                f"{pending.reported_at.date().isoformat()}: we wait for it instead of charging "
                "your card as well. If you did not make that transfer, withdraw the report first."
            )
        return rest, Money(rest.amount * fee_percent / 100, rest.currency).rounded()

    def matching_card_payment(
        self, paypal_order_id: str | None, captured: Money
    ) -> CardPaymentStarted | None:
        """Our card payment that a completed capture pays, if it captured what we asked for.

        Also when the billing was voided or paid meanwhile: the money arrived, and
        `receive_money` then sends it to the deposit instead of losing it."""
        started = self.card_orders.get(paypal_order_id or "")
        if started is None or captured != started.total:
            return None
        return started

    def note_capture(
        self, capture_id: str, status: str, reason: str, amount: Money, now: datetime
    ) -> list[object]:
        """A capture that pays nothing (pending, denied) or that staff must review."""
        return [CardCaptureNoted(self.billing_id, capture_id, status, reason, amount, now)]

    def void(self, reason: str, now: datetime) -> list[object]:
        """Nothing more is due (the order was cancelled); `cancel` also refunds."""
        if self.issued is None or self.voided:
            return []
        return [BillingVoided(self.billing_id, self.issued.order_id, reason, now)]

    def cancel(self, refund_id: str, reason: str, now: datetime) -> list[object]:
        """Void the billing and refund exactly what it still keeps (paid less refunded), so a
        cancel after item refunds, or a repeated one, never refunds twice (R20)."""
        voided = self.void(reason, now)
        if not voided or self.issued is None:
            return []
        why = f"order {self.issued.order_id} cancelled"
        return [*voided, *self.refund(refund_id, self.kept, "cancel", why, now)]

    @property
    def kept(self) -> Money:
        """What this billing took and has not given back: never negative."""
        if self.issued is None or self.received is None or self.refunded is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        return self.received - self.refunded

    def refund(
        self, refund_id: str, wanted: Money, kind: str, reason: str, now: datetime
    ) -> list[object]:
        """Give back `wanted`, capped at what the billing still keeps; nothing if that is 0."""
        kept = self.kept
        assert self.issued is not None
        amount = wanted if wanted <= kept else kept
        if amount.amount <= 0:
            return []
        issued = self.issued
        return [
            BillingRefunded(
                self.billing_id,
                issued.order_id,
                issued.customer_id,
                refund_id,
                amount,
                kind,
                reason,
                now,
            )
        ]

    @property
    def item_refund_waits(self) -> bool:
        """An item's refund waits until the billing is paid in full (or voided: then the
        cancel refunded everything and the item gets nothing more)."""
        return self.issued is None or not (self.settled or self.voided)

    def refund_item(
        self,
        refund_id: str,
        quantity: int,
        unit_price: Money,
        domestic_shipping: Money,
        reason: str,
        now: datetime,
    ) -> list[object]:
        """What was paid for an unavailable item (its goods and domestic shipping at the
        billing's rate), once, never above what the billing still keeps (R20)."""
        if self.voided or self.issued is None:
            return []  # the cancel already gave back everything the billing kept
        rate = self.issued.exchange_rate or Decimal(1)
        value = (unit_price * quantity + domestic_shipping).converted(
            self.issued.amount.currency, rate
        )
        return self.refund(refund_id, value, "item", reason, now)

    def revise(
        self,
        lines: list[BillingLine],
        amount: Money,
        now: datetime,
        refund_id: str = "",
        every_change: bool = False,
    ) -> list[object]:
        """A new version of the billing (items changed, R17): what was paid stays credited
        against the new amount, and a paid part above it goes back to the deposit.

        `every_change`: a new revision even when the amount stays, so the 1st billing's
        revision counts the order's item changes (orders compares a payment's revision with
        them, so a payment made against an outdated bill does not start purchasing)."""
        if self.issued is None or self.paid is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        if self.voided:
            return []  # the order is cancelled: nothing to revise
        if amount == self.issued.amount and lines == self.issued.lines and not every_change:
            return []
        excess = self.paid - amount
        refunds = (
            self.refund(
                refund_id or f"{self.billing_id}-r{self.issued.revision + 1}",
                excess,
                "excess",
                f"billing {self.billing_id} revised to {amount}",
                now,
            )
            if excess.amount > 0
            else []
        )
        paid_after = self.paid
        for refund in refunds:
            assert isinstance(refund, BillingRefunded)
            paid_after = paid_after - refund.amount
        previous = self.issued
        revised = BillingIssued(
            previous.billing_id,
            previous.order_id,
            previous.customer_id,
            previous.kind,
            previous.revision + 1,
            amount,
            lines,
            previous.exchange_rate,
            now,
            paid_after,
            amount <= paid_after,
            previous.rate_date,
            previous.service_fee,
        )
        return [revised, *refunds]

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
            self.issued.revision,
        )
        return [received], amount - applied

    def receive_money(
        self, payment_id: str, amount: Money, method: str, now: datetime
    ) -> tuple[list[object], Money]:
        """Money that arrived for this billing (bank, card, staff): never refused once here.

        What the billing can take pays it; the rest (all of it when the billing is voided or
        already paid) is diverted to the customer's deposit, and the second value says how
        much that is. A payment in another currency is refused: the caller holds it."""
        if self.issued is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        if amount.currency != self.issued.amount.currency:
            raise ValidationError(f"billing {self.billing_id} is in {self.issued.amount.currency}")
        if amount.amount <= 0:
            raise ValidationError("a payment must be positive")
        if self.voided or self.settled:
            why = "its order is cancelled" if self.voided else "it is already paid"
            return [self._diverted(payment_id, amount, method, why, now)], amount
        new, excess = self.record_payment(payment_id, amount, method, now)
        if not excess.is_zero:
            new.append(self._diverted(f"{payment_id}-x", excess, method, "more than was due", now))
        return new, excess

    def _diverted(
        self, payment_id: str, amount: Money, method: str, why: str, now: datetime
    ) -> PaymentDiverted:
        assert self.issued is not None
        reason = f"payment for billing {self.billing_id} kept in the deposit: {why}"
        return PaymentDiverted(
            self.billing_id,
            self.issued.order_id,
            self.issued.customer_id,
            payment_id,
            amount,
            method,
            reason,
            now,
        )
