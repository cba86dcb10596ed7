"""Money nobody can be matched to: held for staff (never dropped), then credited by staff to
the deposit of the customer it belongs to."""

from __future__ import annotations

from services.billing.domain.held import HeldPayment
from services.billing.handlers.common import DEPOSITS, HELD
from shared.domain_errors import CustomerForgottenError
from shared.events.repository import decide_again, meta
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context


def hold_payment_in(
    tx: Transaction,
    ctx: Context,
    hold_id: str,
    reference: str,
    method: str,
    amount: Money,
    payer_name: str,
    reason: str,
    customer_id: str | None = None,
) -> HeldPayment:
    """Hold money received for no billing we can apply it to (inside the caller's tx).

    The payer's name is sealed under the customer when the billing named one (money in
    another currency), else under the held payment's own key: the payer is a person nobody
    knows yet; billing forgets that key with the customer staff credit the money to
    (handlers/forgetting.py)."""
    found = HELD.get(tx, hold_id)
    try:
        sealed = ctx.personal.seal(customer_id or hold_id, payer_name.strip())
    except CustomerForgottenError:
        # Money for a forgotten customer's billing is still never refused: held under its own key.
        sealed = ctx.personal.seal(hold_id, payer_name.strip())
    new = found.hold(reference, method, amount, sealed, reason, ctx.clock.now())
    HELD.save(tx, hold_id, found, new, meta(f"{method}:{reference}", hold_id))
    return found


def credit_held_payment(ctx: Context, hold_id: str, customer_id: str, actor: str) -> HeldPayment:
    """Staff found whose money it is: it goes to that customer's deposit, once."""

    def work(tx: Transaction) -> HeldPayment:
        found = HELD.get(tx, hold_id)
        now = ctx.clock.now()
        new = found.credit_to(customer_id, actor, now)
        assert found.held is not None
        deposit = DEPOSITS.get(tx, customer_id)
        credit = deposit.credit(
            hold_id,
            found.held.amount,
            "overpayment",
            f"payment {found.held.reference} received by {found.held.method}, matched by staff",
            hold_id,
            now,
        )
        HELD.save(tx, hold_id, found, new, meta(actor, hold_id))
        DEPOSITS.save(tx, customer_id, deposit, credit, meta(actor, customer_id))
        return found

    return decide_again(ctx.store, work)
