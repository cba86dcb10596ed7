"""A customer about to be forgotten, and forgotten (issue 21): the money still open between
them and the shop (the gateway's legal hold asks for it), and what billing does on
`CustomerForgotten`."""

from __future__ import annotations

from services.billing.domain.deposit import DepositCredited
from services.billing.domain.open_money import OpenMoney, open_money
from services.billing.handlers.common import BILLINGS, CODEC, DEPOSITS
from shared.events.incoming import IncomingEvent
from shared.events.store import Transaction
from shared.runtime import Context


def customer_open_money(ctx: Context, customer_id: str) -> list[OpenMoney]:
    """The customer's open money, read from their billings' and deposit's streams (the read
    model only says which billings are theirs: a billing is issued long before it is paid)."""
    rows = ctx.store.query(
        "SELECT billing_id FROM billing_summaries WHERE customer_id = %s ORDER BY issued_at",
        (customer_id,),
    )

    def read(tx: Transaction) -> list[OpenMoney]:
        billings = [BILLINGS.get(tx, row["billing_id"]) for row in rows]
        return open_money(billings, DEPOSITS.get(tx, customer_id))

    found: list[OpenMoney] = ctx.store.transact(read)
    return found


def on_customer_forgotten(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A customer was forgotten: this process stops opening their data at once, and the payer
    names of money once held for staff and then credited to them (sealed under the held
    payment's own key, as nobody was known when it came: services/billing/personal.py) are
    forgotten with them."""
    customer_id = event.data["customer_id"]
    ctx.personal.drop_cached(customer_id)
    for recorded in tx.read_stream(DEPOSITS.stream_id(customer_id)):
        entry = CODEC.decode(recorded)
        # A held payment credited by staff is the deposit entry named by its hold id.
        if (
            isinstance(entry, DepositCredited)
            and entry.kind == "overpayment"
            and entry.reference == entry.entry_id
        ):
            ctx.personal.forget(entry.entry_id)
