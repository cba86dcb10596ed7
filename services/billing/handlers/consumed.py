"""Integration events the billing service consumes: one plain function each."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from services.billing.config import config
from services.billing.domain.billing import BillingIssued
from services.billing.domain.pricing import (
    BillingLine,
    PricedItem,
    converted_line,
    first_billing_lines,
    total,
)
from services.billing.handlers.common import (
    BILLINGS,
    CHARGES,
    billed_rule,
    billing_id,
    money,
    save_with_credits,
)
from services.billing.handlers.forgetting import on_customer_forgotten
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context, EventHandler


def _priced(items: list[dict[str, Any]]) -> list[PricedItem]:
    return [
        PricedItem(i["quantity"], money(i["unit_price"]), money(i["domestic_shipping"]))
        for i in items
    ]


def on_order_placed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Issue the 1st billing (goods) of a new order."""
    data = event.data
    rule = config(ctx).pricing
    lines = first_billing_lines(_priced(data["items"]), rule)
    bid = billing_id(data["order_id"], "first")
    found = BILLINGS.get(tx, bid)
    now = ctx.clock.now()
    issued = BillingIssued(
        bid,
        data["order_id"],
        data["customer_id"],
        "first",
        1,
        total(lines, rule.currency),
        lines,
        rule.cny_rate,
        now,
        Money.zero(rule.currency),
        rate_date=rule.rate_date or now.date(),
        service_fee=rule.service_fee,
    )
    BILLINGS.save(tx, bid, found, found.issue(issued), event.metadata())


def on_order_items_changed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Recalculate the 1st billing at once, as a new revision (R17), even when part of it is
    paid: the payments stay credited and a paid part above the new amount goes back to the
    deposit (an accepted change never leaves the bill unrevised)."""
    data = event.data
    bid = billing_id(data["order_id"], "first")
    found = BILLINGS.get(tx, bid)
    if found.issued is None:
        raise NotYetApplicableError(
            "items changed before the billing was issued", event.envelope.ordering_key
        )
    if not data["items"]:
        return  # every item cancelled: OrderCancelled voids the billing and refunds
    # Repriced at the billing's own rate and fee rule, which the revision keeps recording
    # (at the configured ones, the lines could disagree with the rate the billing shows).
    rule = billed_rule(config(ctx).pricing, found.issued)
    lines = first_billing_lines(_priced(data["items"]), rule)
    now = ctx.clock.now()
    amount = total(lines, rule.currency)
    new = found.revise(lines, amount, now, _entry(event, "excess"), every_change=True)
    save_with_credits(tx, found, new, event.metadata(), now)


def _entry(event: IncomingEvent, kind: str) -> str:
    """A deposit entry id derived from the consumed event: a redelivery cannot credit twice."""
    return f"{str(event.envelope.event_id)[:12]}-{kind}"


def on_item_unavailable(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """What was paid for an item that cannot be bought or forwarded goes to the deposit, once,
    never more than the billing still keeps (R20)."""
    data = event.data
    first = BILLINGS.get(tx, billing_id(data["order_id"], "first"))
    if first.item_refund_waits:
        raise NotYetApplicableError(
            "refund before the 1st billing is paid", event.envelope.ordering_key
        )
    reason = f"item {data['item_id']} of order {data['order_id']}: {data['reason']}"
    now = ctx.clock.now()
    new = first.refund_item(
        _entry(event, "item"),
        data["quantity"],
        money(data["unit_price"]),
        money(data["domestic_shipping"]),
        reason,
        now,
    )
    save_with_credits(tx, first, new, event.metadata(), now)


def on_order_cancelled(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Void the order's billings; what each still keeps (paid less already refunded) goes to
    the deposit, so item refunds before the cancel are never paid twice (R20)."""
    data = event.data
    now = ctx.clock.now()
    for kind in ("first", "second"):
        found = BILLINGS.get(tx, billing_id(data["order_id"], kind))
        if found.issued is None:
            continue
        new = found.cancel(_entry(event, kind), data["reason"], now)
        save_with_credits(tx, found, new, event.metadata(), now)


def _second_billing_lines(tx: Transaction, order_id: str, fee: Money) -> list[BillingLine]:
    """The international fee, and each local exchange or return cost at the 1st rate."""
    first = BILLINGS.get(tx, billing_id(order_id, "first"))
    rate = first.issued.exchange_rate if first.issued else None
    lines = [BillingLine("international shipping", fee)]
    for cost in CHARGES.get(tx, order_id).costs:
        label = f"local shipping of item {cost.item_id}"
        lines.append(converted_line(label, cost.cost, fee.currency, rate or Decimal(1)))
    return lines


def on_shipping_quoted(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Issue the 2nd billing: the international shipping fee (R21), plus local costs (R19)."""
    data = event.data
    fee = money(data["fee"])
    bid = billing_id(data["order_id"], "second")
    found = BILLINGS.get(tx, bid)
    lines = _second_billing_lines(tx, data["order_id"], fee)
    amount = total(lines, fee.currency)
    now = ctx.clock.now()
    if found.issued is None:
        # Local costs are converted at the 1st billing's rate: the 2nd records it and its date.
        first = BILLINGS.get(tx, billing_id(data["order_id"], "first")).issued
        issued = BillingIssued(
            bid,
            data["order_id"],
            data["customer_id"],
            "second",
            1,
            amount,
            lines,
            first.exchange_rate if first else None,
            now,
            Money.zero(amount.currency),
            rate_date=first.rate_date if first else None,
        )
        new = found.issue(issued)
    elif not found.settled:
        # Re-packed, or another method, before the fee is paid in full: revised at once, what
        # was paid stays credited and a paid part above the new fee goes to the deposit.
        new = found.revise(lines, amount, now, _entry(event, "excess"))
    else:
        new = []  # paid in full: shipping no longer re-quotes (it refuses once paid)
    save_with_credits(tx, found, new, event.metadata(), now)


def on_return_shipping_charged(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Keep a local exchange or return cost for the 2nd billing (R19); if that billing is
    already issued and not paid in full, it is recalculated at once."""
    data = event.data
    order_id = data["order_id"]
    charges = CHARGES.get(tx, order_id)
    CHARGES.save(
        tx,
        order_id,
        charges,
        charges.record(data["item_id"], money(data["cost"]), data["at"]),
        event.metadata(),
    )
    second = BILLINGS.get(tx, billing_id(order_id, "second"))
    if second.issued is None or second.settled:
        return  # billed with the 2nd billing when it is issued; none once it is paid in full
    fee = second.issued.lines[0].amount
    lines = _second_billing_lines(tx, order_id, fee)
    now = ctx.clock.now()
    new = second.revise(lines, total(lines, fee.currency), now, _entry(event, "excess"))
    save_with_credits(tx, second, new, event.metadata(), now)


# Each consumed integration event and its handler (its queue bindings follow from this).
EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "OrderPlaced": on_order_placed,
    "OrderItemsChanged": on_order_items_changed,
    "ItemUnavailable": on_item_unavailable,
    "OrderCancelled": on_order_cancelled,
    "ReturnShippingCharged": on_return_shipping_charged,
    "ShippingQuoted": on_shipping_quoted,
    "CustomerForgotten": on_customer_forgotten,
}
