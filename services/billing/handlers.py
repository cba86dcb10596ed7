"""The billing service's handlers: one plain function per command and per consumed event."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from services.billing.domain.billing import EVENT_TYPES, Billing, BillingIssued
from services.billing.domain.pricing import (
    BillingLine,
    PricedItem,
    PricingRule,
    first_billing_lines,
    total,
)
from shared.events.codec import EventCodec
from shared.events.consumer import Handler, IncomingEvent
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotYetApplicableError
from shared.events.repository import Repository
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context

CODEC = EventCodec(EVENT_TYPES, CONTRACTS)
BILLINGS: Repository[Billing] = Repository("billing", CODEC, Billing.replay)


def pricing_rule(ctx: Context) -> PricingRule:
    """The pricing rule from configuration (`CNNECT_BILLING_*`)."""
    extra = ctx.settings.extra
    default = PricingRule()
    return PricingRule(
        currency=extra.get("currency", default.currency),
        cny_rate=Decimal(extra.get("cny_rate", str(default.cny_rate))),
        fee_percent=Decimal(extra.get("fee_percent", str(default.fee_percent))),
        fee_minimum_cny=Decimal(extra.get("fee_minimum_cny", str(default.fee_minimum_cny))),
    )


def billing_id(order_id: str, kind: str) -> str:
    """Billing ids derive from the order, so a redelivered event cannot bill twice."""
    return f"{order_id}-{1 if kind == 'first' else 2}"


def _money(data: dict[str, Any]) -> Money:
    return Money(data["amount"], data["currency"])


def on_order_placed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Issue the 1st billing (goods) of a new order."""
    data = event.data
    rule = pricing_rule(ctx)
    lines = first_billing_lines(_priced(data["items"]), rule)
    bid = billing_id(data["order_id"], "first")
    billing = BILLINGS.get(tx, bid)
    issued = BillingIssued(
        bid,
        data["order_id"],
        data["customer_id"],
        "first",
        1,
        total(lines, rule.currency),
        lines,
        rule.cny_rate,
        ctx.clock.now(),
    )
    BILLINGS.save(tx, bid, billing, billing.issue(issued), event.metadata())


def on_order_items_changed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Recalculate the unpaid 1st billing at once, as a new revision (R17)."""
    data = event.data
    bid = billing_id(data["order_id"], "first")
    billing = BILLINGS.get(tx, bid)
    if billing.issued is None:
        raise NotYetApplicableError(
            "items changed before the billing was issued", event.envelope.ordering_key
        )
    if not data["items"]:
        return  # every item cancelled: the order is cancelled, nothing to pay
    rule = pricing_rule(ctx)
    lines = first_billing_lines(_priced(data["items"]), rule)
    BILLINGS.save(
        tx,
        bid,
        billing,
        billing.revise(lines, total(lines, rule.currency), ctx.clock.now()),
        event.metadata(),
    )


def _priced(items: list[dict[str, Any]]) -> list[PricedItem]:
    return [
        PricedItem(i["quantity"], _money(i["unit_price"]), _money(i["domestic_shipping"]))
        for i in items
    ]


def on_shipping_quoted(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Issue the 2nd billing: the international shipping fee (R21)."""
    data = event.data
    fee = _money(data["fee"])
    bid = billing_id(data["order_id"], "second")
    billing = BILLINGS.get(tx, bid)
    issued = BillingIssued(
        bid,
        data["order_id"],
        data["customer_id"],
        "second",
        1,
        fee,
        [BillingLine("international shipping", fee)],
        None,
        ctx.clock.now(),
    )
    BILLINGS.save(tx, bid, billing, billing.issue(issued), event.metadata())


def record_payment(ctx: Context, bid: str, amount: Money, method: str, actor: str) -> Billing:
    """Record a payment against a billing (staff confirmation, webhooks later)."""

    def work(tx: Transaction) -> Billing:
        billing = BILLINGS.get(tx, bid)
        new = billing.record_payment(
            f"pay-{uuid.uuid4().hex[:12]}", amount, method, ctx.clock.now()
        )
        order_key = billing.issued.order_id if billing.issued else bid
        BILLINGS.save(
            tx,
            bid,
            billing,
            new,
            {"actor": actor, "ordering_key": order_key, "correlation_id": str(uuid.uuid4())},
        )
        return billing

    return ctx.store.transact(work)


def event_handlers(ctx: Context) -> dict[str, Handler]:
    """Routing of consumed integration events to their handlers."""
    return {
        "OrderPlaced": lambda tx, e: on_order_placed(ctx, tx, e),
        "OrderItemsChanged": lambda tx, e: on_order_items_changed(ctx, tx, e),
        "ShippingQuoted": lambda tx, e: on_shipping_quoted(ctx, tx, e),
    }
