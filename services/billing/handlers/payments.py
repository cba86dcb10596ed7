"""Payments of billings: from the deposit first (R8), by bank or staff confirmation (R9);
an excess goes to the deposit."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from services.billing.domain.billing import Billing
from services.billing.domain.deposit import Deposit, InsufficientDepositError
from services.billing.handlers.common import (
    BILLINGS,
    DEPOSITS,
    entry_id,
    owned_billing,
    save_with_credits,
)
from shared.events.repository import decide_again, meta
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context


@dataclass(frozen=True)
class PaymentOutcome:
    """What a payment did to a billing (and to the deposit)."""

    billing: Billing
    applied: Money
    to_deposit: Money


def record_payment(
    ctx: Context, bid: str, amount: Money, method: str, actor: str
) -> PaymentOutcome:
    """Record money received for a billing; what exceeds the open amount goes to the deposit."""
    return decide_again(
        ctx.store, lambda tx: record_payment_in(tx, ctx, bid, amount, method, actor)
    )


def record_payment_in(
    tx: Transaction, ctx: Context, bid: str, amount: Money, method: str, actor: str
) -> PaymentOutcome:
    """`record_payment` inside the caller's transaction.

    Money that arrived is never refused: what the billing cannot take (it is voided, already
    paid, or the money exceeds what is open) is credited to the customer's deposit and shows
    in the staff queue of unapplied payments."""
    found = owned_billing(tx, bid, None)
    now = ctx.clock.now()
    new, _ = found.receive_money(entry_id(), amount, method, now)
    assert found.issued is not None
    to_deposit = save_with_credits(tx, found, new, meta(actor, found.issued.order_id), now)
    assert to_deposit is not None
    return PaymentOutcome(found, amount - to_deposit, to_deposit)


def pay_with_deposit(ctx: Context, bid: str, customer_id: str | None, actor: str) -> PaymentOutcome:
    """Pay as much of the billing as the deposit covers (R8); the rest stays open."""

    def work(tx: Transaction) -> PaymentOutcome:
        found = owned_billing(tx, bid, customer_id)
        assert found.issued is not None
        owner = found.issued.customer_id
        deposit: Deposit = DEPOSITS.get(tx, owner)
        usable = deposit.usable_for(found.open_amount)
        if usable.is_zero:
            raise InsufficientDepositError(f"the deposit of {owner} is empty")
        now = ctx.clock.now()
        debited = deposit.debit(
            entry_id(), usable, "payment", f"payment of billing {bid}", bid, now
        )
        paid, _ = found.record_payment(entry_id(), usable, "deposit", now)
        # Both streams in one transaction, each at the version it was read at: a concurrent
        # payment from the same deposit makes one of them fail and decide again (R8).
        DEPOSITS.save(tx, owner, deposit, debited, meta(actor, found.issued.order_id))
        BILLINGS.save(tx, bid, found, paid, meta(actor, found.issued.order_id))
        return PaymentOutcome(found, usable, Money.zero(usable.currency))

    return decide_again(ctx.store, work)


def adjust_deposit(
    ctx: Context, customer_id: str, amount: Money, reason: str, actor: str
) -> Deposit:
    """A staff adjustment with a reason: a credit, or a debit that never overdraws (R8)."""

    def work(tx: Transaction) -> Deposit:
        deposit = DEPOSITS.get(tx, customer_id)
        now = ctx.clock.now()
        if amount.amount > 0:
            new = deposit.credit(entry_id(), amount, "adjustment", reason, actor, now)
        else:
            new = deposit.debit(
                entry_id(), Money(-amount.amount, amount.currency), "adjustment", reason, actor, now
            )
        DEPOSITS.save(tx, customer_id, deposit, new, meta(actor, customer_id))
        return deposit

    return decide_again(ctx.store, work)


def deposit_first(ctx: Context, bid: str, customer_id: str | None, actor: str) -> None:
    """Before a bank or card payment, the deposit pays what it can (R8)."""
    # An empty deposit refuses: then everything goes to the bank or the card.
    with contextlib.suppress(InsufficientDepositError):
        pay_with_deposit(ctx, bid, customer_id, actor)
