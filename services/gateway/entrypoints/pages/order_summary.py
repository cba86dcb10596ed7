"""One order as a line of the order list: its first item's title and picture (the inspection
photo when there is one), how many items, the billed total and the next action (R1, R2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.money import Money

PLACEHOLDER = "/static/item-placeholder.svg"


@dataclass(frozen=True)
class OrderSummary:
    title: str
    others: int  # items besides the first
    count: int  # items still part of the order
    picture: str  # an inspection photo, or the neutral placeholder
    has_photo: bool
    total: str  # the billings issued so far, summed per currency ("" before the estimate)


def summarize(doc: Mapping[str, Any]) -> OrderSummary:
    """The list line of an order document of the orders read model."""
    items: list[Mapping[str, Any]] = list(doc.get("items") or [])
    kept = [i for i in items if i.get("status") != "cancelled"] or items
    first = kept[0] if kept else {}
    photographed = [i for i in kept if i.get("photo_ids")]
    order_id = doc.get("order_id", "")
    picture = (
        f"/api/orders/orders/{order_id}/photos/{photographed[0]['photo_ids'][0]}"
        if photographed
        else PLACEHOLDER
    )
    return OrderSummary(
        title=str(first.get("title", "")),
        others=max(len(kept) - 1, 0),
        count=len(kept),
        picture=picture,
        has_photo=bool(photographed),
        total=_total([doc.get("first_billing"), doc.get("second_billing")]),
    )


def _total(billings: list[Any]) -> str:
    """The amounts of the billings issued, added up in their currency (R4's one format)."""
    sums: dict[str, Money] = {}
    for billing in billings:
        amount = billing.get("amount") if isinstance(billing, Mapping) else None
        if not isinstance(amount, Mapping):
            continue
        try:
            money = Money(Decimal(str(amount["amount"])), str(amount["currency"]))
        except (InvalidOperation, KeyError, ValueError):
            continue
        currency = money.currency
        sums[currency] = sums[currency] + money if currency in sums else money
    return " + ".join(m.formatted() for m in sums.values())
