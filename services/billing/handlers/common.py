"""What every billing handler shares: codec, repositories."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from services.billing.domain import billing, charges, deposit, held
from services.billing.domain.billing import Billing, BillingIssued, deposit_credits
from services.billing.domain.deposit import Deposit
from services.billing.domain.pricing import PricingRule
from shared.domain_errors import NotFoundError
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository
from shared.events.store import Transaction
from shared.money import Money

CODEC = EventCodec(
    billing.EVENT_TYPES + deposit.EVENT_TYPES + charges.EVENT_TYPES + held.EVENT_TYPES, CONTRACTS
)
CHARGES: Repository[charges.OrderCharges] = Repository(
    "charges", CODEC, charges.OrderCharges.replay
)
BILLINGS: Repository[Billing] = Repository("billing", CODEC, Billing.replay)
DEPOSITS: Repository[Deposit] = Repository("deposit", CODEC, Deposit.replay)
HELD: Repository[held.HeldPayment] = Repository("held", CODEC, held.HeldPayment.replay)


def billed_rule(current: PricingRule, issued: BillingIssued) -> PricingRule:
    """The rule a billing was issued with: a revision keeps its rate, the rate's date and the
    fee rule, even when the configuration (`current`) changed since (the customer was quoted
    those); what the billing did not record (before contract v3) comes from `current`."""
    fee = issued.service_fee
    return PricingRule(
        currency=issued.amount.currency,
        cny_rate=issued.exchange_rate if issued.exchange_rate is not None else current.cny_rate,
        fee_percent=fee.percent if fee else current.fee_percent,
        fee_minimum_cny=fee.minimum.amount if fee else current.fee_minimum_cny,
        rate_date=issued.rate_date,
    )


def billing_id(order_id: str, kind: str) -> str:
    """Billing ids derive from the order, so a redelivered event cannot bill twice."""
    return f"{order_id}-{1 if kind == 'first' else 2}"


def money(data: dict[str, Any]) -> Money:
    """Money from its wire form (already validated)."""
    return Money(data["amount"], data["currency"])


def entry_id() -> str:
    """A new deposit entry or payment id."""
    return uuid.uuid4().hex[:16]


def owned_billing(tx: Transaction, bid: str, customer_id: str | None) -> Billing:
    """The billing if `customer_id` owns it (None: staff); 404 otherwise."""
    found = BILLINGS.get(tx, bid)
    if found.issued is None or (
        customer_id is not None and found.issued.customer_id != customer_id
    ):
        raise NotFoundError(f"billing {bid} not found")
    return found


def save_with_credits(
    tx: Transaction,
    found: Billing,
    new: list[object],
    metadata: dict[str, Any],
    now: datetime,
) -> Money | None:
    """Save a billing's new events and, in the same transaction, credit the customer's deposit
    with what they give back (refunds, diverted payments); returns the total credited (None
    when there is still no billing: nothing was saved)."""
    BILLINGS.save(tx, found.billing_id, found, new, metadata)
    if found.issued is None:
        return None
    credited = Money.zero(found.issued.amount.currency)
    credits = deposit_credits(new)
    if not credits:
        return credited
    customer = found.issued.customer_id
    deposit = DEPOSITS.get(tx, customer)
    entries: list[object] = []
    for entry, amount, kind, reason in credits:
        entries += deposit.credit(entry, amount, kind, reason, found.billing_id, now)
        credited = credited + amount
    DEPOSITS.save(tx, customer, deposit, entries, metadata)
    return credited
