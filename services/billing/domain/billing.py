"""The billing aggregate: one billing (1st: goods, 2nd: international shipping) and the
payments recorded against it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


EVENT_TYPES: tuple[type, ...] = (BillingIssued, PaymentReceived)


@dataclass
class Billing(EventSourced):
    """What a billing's history adds up to."""

    billing_id: str
    issued: BillingIssued | None = None
    paid: Money | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, BillingIssued):
            self.issued = event
            self.paid = self.paid or Money.zero(event.amount.currency)
        elif isinstance(event, PaymentReceived) and self.paid is not None:
            self.paid = self.paid + event.amount

    @property
    def settled(self) -> bool:
        """True once payments cover the amount."""
        return bool(self.issued and self.paid is not None and self.issued.amount <= self.paid)

    def issue(self, issued: BillingIssued) -> list[object]:
        """Issue the billing once; a repeated request (same billing id) changes nothing."""
        return [] if self.issued else [issued]

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

    def record_payment(
        self, payment_id: str, amount: Money, method: str, now: datetime
    ) -> list[object]:
        """Record a payment; the billing is settled when payments cover it."""
        if self.issued is None or self.paid is None:
            raise NotFoundError(f"billing {self.billing_id} not found")
        if self.settled:
            raise InvalidTransitionError(f"billing {self.billing_id} is already paid")
        if amount.currency != self.issued.amount.currency:
            raise ValidationError(f"billing {self.billing_id} is in {self.issued.amount.currency}")
        if amount.amount <= 0:
            raise ValidationError("a payment must be positive")
        settled = self.issued.amount <= self.paid + amount
        return [
            PaymentReceived(
                payment_id,
                self.billing_id,
                self.issued.order_id,
                self.issued.customer_id,
                self.issued.kind,
                amount,
                method,
                settled,
                now,
            )
        ]
