"""A customer's deposit: a balance in the billing currency, credited by refunds, overpayments
and staff adjustments, debited by payments. It never goes below zero (R8): a debit is decided
against the balance the stream had, and an append at a stale version is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.domain_errors import DomainError, ValidationError
from shared.events.aggregate import EventSourced
from shared.money import Money

CREDIT_REASONS = ("refund", "overpayment", "adjustment")


class InsufficientDepositError(DomainError):
    """The deposit does not cover the debit."""

    code = "insufficient_deposit"


@dataclass(frozen=True)
class DepositCredited:
    customer_id: str
    entry_id: str
    amount: Money
    kind: str  # refund | overpayment | adjustment
    reason: str
    reference: str  # the billing, item or staff member behind it
    at: datetime


@dataclass(frozen=True)
class DepositDebited:
    customer_id: str
    entry_id: str
    amount: Money
    kind: str  # payment | adjustment
    reason: str
    reference: str
    at: datetime


EVENT_TYPES: tuple[type, ...] = (DepositCredited, DepositDebited)


@dataclass
class Deposit(EventSourced):
    """What a customer's deposit history adds up to."""

    customer_id: str
    balance: Money | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one entry into the balance."""
        super().apply(event)
        if isinstance(event, DepositCredited):
            self.balance = self._balance(event.amount.currency) + event.amount
        elif isinstance(event, DepositDebited):
            self.balance = self._balance(event.amount.currency) - event.amount

    def _balance(self, currency: str) -> Money:
        return self.balance if self.balance is not None else Money.zero(currency)

    def credit(
        self, entry_id: str, amount: Money, kind: str, reason: str, reference: str, now: datetime
    ) -> list[object]:
        """Add money (a refund, an overpayment, a staff adjustment)."""
        if kind not in CREDIT_REASONS:
            raise ValidationError(f"a credit is one of {', '.join(CREDIT_REASONS)}")
        if amount.amount <= 0:
            raise ValidationError("a credit must be positive")
        self._same_currency(amount)
        return [DepositCredited(self.customer_id, entry_id, amount, kind, reason, reference, now)]

    def debit(
        self, entry_id: str, amount: Money, kind: str, reason: str, reference: str, now: datetime
    ) -> list[object]:
        """Take money out; never more than the balance (R8)."""
        if amount.amount <= 0:
            raise ValidationError("a debit must be positive")
        self._same_currency(amount)
        balance = self._balance(amount.currency)
        if balance < amount:
            raise InsufficientDepositError(
                f"the deposit of {self.customer_id} is {balance}; it cannot pay {amount}"
            )
        return [DepositDebited(self.customer_id, entry_id, amount, kind, reason, reference, now)]

    def usable_for(self, amount: Money) -> Money:
        """How much of `amount` the deposit can pay now."""
        balance = self._balance(amount.currency)
        return amount if amount <= balance else balance

    def _same_currency(self, amount: Money) -> None:
        if self.balance is not None and self.balance.currency != amount.currency:
            raise ValidationError(f"the deposit is kept in {self.balance.currency}")
