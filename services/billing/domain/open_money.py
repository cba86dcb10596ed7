"""Money still open between the shop and one customer: what a billing still asks of them,
and what we hold of theirs. A customer is forgotten only when none is left (issue 21's legal
hold): a shop keeps the person behind money it is owed or owes until that money is settled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.billing.domain.billing import Billing
from services.billing.domain.deposit import Deposit
from shared.money import Money

UNPAID = "unpaid"
REFUND_PENDING = "refund pending"
DEPOSIT_BALANCE = "deposit balance"


@dataclass(frozen=True)
class OpenMoney:
    """One sum open: a billing's (its order, its kind) or the deposit's (no billing)."""

    billing_id: str | None
    order_id: str | None
    kind: str  # "first" | "second" | "deposit"
    owed: Money
    reason: str  # UNPAID | REFUND_PENDING | DEPOSIT_BALANCE


def open_money(billings: Iterable[Billing], deposit: Deposit) -> list[OpenMoney]:
    """Every sum still open for the customer of `billings` and `deposit`.

    A billing not voided with a balance is unpaid; a voided one that still keeps money owes
    it back (its cancel refunds it to the deposit in the same transaction, so this is a
    billing voided without its refund yet). Refunds go to the deposit, and the deposit is
    the customer's money we hold: a positive balance is open too (forgetting them would drop
    it: it is paid out or used first)."""
    found = []
    for billing in billings:
        if billing.issued is None:
            continue
        issued = billing.issued
        if billing.voided:
            owed, reason = billing.kept, REFUND_PENDING
        else:
            owed, reason = billing.open_amount, UNPAID
        if owed.amount > 0:
            found.append(OpenMoney(billing.billing_id, issued.order_id, issued.kind, owed, reason))
    if deposit.balance is not None and deposit.balance.amount > 0:
        found.append(OpenMoney(None, None, "deposit", deposit.balance, DEPOSIT_BALANCE))
    return found
