"""Money received that no billing can take and no customer is known for (an unknown bank
reference, a card capture for no billing of ours, a transfer in another currency): held for
staff, never dropped, until staff credit it to a customer's deposit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.events.aggregate import EventSourced
from shared.money import Money


@dataclass(frozen=True)
class PaymentHeld:
    hold_id: str
    reference: str  # what the payer wrote (bank reference, PayPal custom id)
    method: str
    amount: Money
    payer_name: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class HeldPaymentCredited:
    """Staff matched the payer: the money went to this customer's deposit."""

    hold_id: str
    customer_id: str
    amount: Money
    by: str
    at: datetime


EVENT_TYPES: tuple[type, ...] = (PaymentHeld, HeldPaymentCredited)


@dataclass
class HeldPayment(EventSourced):
    """One payment held for staff."""

    hold_id: str
    held: PaymentHeld | None = None
    credited_to: str | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, PaymentHeld):
            self.held = event
        elif isinstance(event, HeldPaymentCredited):
            self.credited_to = event.customer_id

    @property
    def holds(self) -> Money | None:
        """What is held now (None once credited or if nothing was held)."""
        return self.held.amount if self.held and self.credited_to is None else None

    def hold(
        self,
        reference: str,
        method: str,
        amount: Money,
        payer_name: str,
        reason: str,
        now: datetime,
    ) -> list[object]:
        """Hold money nobody can be matched to; holding it again changes nothing."""
        if self.held is not None:
            return []
        if amount.amount <= 0:
            raise ValidationError("held money must be positive")
        return [PaymentHeld(self.hold_id, reference, method, amount, payer_name, reason, now)]

    def credit_to(self, customer_id: str, by: str, now: datetime) -> list[object]:
        """Staff credit the held money to a customer's deposit, once."""
        if self.held is None:
            raise NotFoundError(f"no held payment {self.hold_id}")
        if self.credited_to is not None:
            raise InvalidTransitionError(
                f"payment {self.hold_id} was already credited to {self.credited_to}"
            )
        if not customer_id.strip():
            raise ValidationError("say which customer the payment belongs to")
        return [HeldPaymentCredited(self.hold_id, customer_id, self.held.amount, by, now)]
