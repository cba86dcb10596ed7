"""Bank transfers (R9): the customer's payment report, and the bank's notice (webhook) that
records the payment once, however often it is delivered (R11)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from services.billing.config import config
from services.billing.domain.billing import Billing
from services.billing.domain.held import HeldPayment
from services.billing.domain.transfer import billing_of_reference
from services.billing.handlers.common import (
    BILLINGS,
    entry_id,
    owned_billing,
)
from services.billing.handlers.held import hold_payment_in
from services.billing.handlers.payments import PaymentOutcome, deposit_first, record_payment_in
from shared.events.errors import DuplicateMessageError
from shared.events.repository import decide_again, meta
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context

BANK_WEBHOOK = "bank-webhook"  # the inbox consumer name of bank notices
_NOTICES = uuid.UUID("6f1c2f0e-8d0a-4c1b-9a55-0b5e1c7a0d11")


def report_payment(
    ctx: Context,
    bid: str,
    customer_id: str | None,
    payer_name: str,
    paid_on: date,
    amount: Money,
    actor: str,
) -> Billing:
    """File a payment-completion report; staff or the bank confirm it on a business day.

    The deposit pays what it can first (R8): the transfer covers the rest."""
    deposit_first(ctx, bid, customer_id, actor)

    def work(tx: Transaction) -> Billing:
        found = owned_billing(tx, bid, customer_id)
        now = ctx.clock.now()
        assert found.issued is not None
        new = found.report_payment(
            f"rep-{entry_id()}",
            # Sealed under the billing's customer (the payer is them, or someone paying for
            # them): trimmed first, as the domain keeps it.
            ctx.personal.seal(found.issued.customer_id, payer_name.strip()),
            paid_on,
            amount,
            now,
            config(ctx).calendar.expected_confirmation(now),
        )
        assert found.issued is not None
        BILLINGS.save(tx, bid, found, new, meta(actor, found.issued.order_id))
        return found

    return decide_again(ctx.store, work)


def withdraw_report(
    ctx: Context, bid: str, customer_id: str | None, report_id: str, actor: str
) -> Billing:
    """Withdraw a mistaken transfer report: the card is offered again for the billing (R9)."""

    def work(tx: Transaction) -> Billing:
        found = owned_billing(tx, bid, customer_id)
        new = found.withdraw_report(report_id, actor, ctx.clock.now())
        assert found.issued is not None
        BILLINGS.save(tx, bid, found, new, meta(actor, found.issued.order_id))
        return found

    return decide_again(ctx.store, work)


@dataclass(frozen=True)
class BankNotice:
    """A transfer the bank received, referencing one of our billings: its transfer reference
    (CN-...) or, as before references existed, its billing id."""

    transaction_id: str
    reference: str
    amount: Money
    payer_name: str

    @property
    def billing_id(self) -> str:
        """The billing the reference names ('' for a mistyped transfer reference)."""
        return billing_of_reference(self.reference) or ""


def receive_bank_notice(ctx: Context, notice: BankNotice) -> PaymentOutcome | HeldPayment | None:
    """Record the transfer of a verified bank notice once; None for a repeated notice.

    Money received is never dropped: a voided or already paid billing, or an excess, goes to
    the customer's deposit (PaymentOutcome.to_deposit); a reference that names no billing of
    ours, or another currency, is held for staff (HeldPayment)."""

    def work(tx: Transaction) -> PaymentOutcome | HeldPayment:
        # The notice's id goes in the inbox with the payment: a second delivery, even a
        # concurrent one, finds it there and records nothing.
        tx.record_inbox(BANK_WEBHOOK, uuid.uuid5(_NOTICES, notice.transaction_id))
        tx.flush()
        found = BILLINGS.get(tx, notice.billing_id or notice.reference)
        reason = (
            unmatched_reason(found, notice.amount)
            if notice.billing_id
            else f"reference {notice.reference} is mistyped (its check character does not match)"
        )
        if reason:
            return hold_payment_in(
                tx,
                ctx,
                f"bank-{notice.transaction_id}",
                notice.reference,
                "bank_transfer",
                notice.amount,
                notice.payer_name,
                reason,
                found.issued.customer_id if found.issued else None,
            )
        return record_payment_in(
            tx,
            ctx,
            notice.billing_id,
            notice.amount,
            "bank_transfer",
            f"bank:{notice.transaction_id}",
        )

    try:
        return decide_again(ctx.store, work)
    except DuplicateMessageError:
        return None


def unmatched_reason(found: Billing, amount: Money) -> str:
    """Why money for `found` must be held for staff ('' when the billing can take it)."""
    if found.issued is None:
        return f"no billing {found.billing_id}: the payer cannot be matched"
    if amount.currency != found.issued.amount.currency:
        wanted = found.issued.amount.currency
        return f"paid in {amount.currency}; billing {found.billing_id} is in {wanted}"
    return ""
