"""What a step that cannot be undone will do, said before it is taken (cancelling an order,
completing it with the reception report): the pages ask first, without scripts."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from services.gateway.entrypoints.pages.formats import money_text


def paid_back(billings: Any, whose: str = "you") -> str:
    """The refund a cancellation makes, in words: what was paid on the order's billings goes
    back to the deposit (R15, R20); `whose` is "you" on the customer's page, "the customer"
    on the staff console."""
    paid: dict[str, Decimal] = {}
    listed = billings.get("billings", []) if isinstance(billings, Mapping) else []
    for billing in listed:
        try:
            amount = Decimal(str(billing.get("paid") or "0"))
        except InvalidOperation:
            continue
        if amount > 0:
            currency = str(billing.get("currency", ""))
            paid[currency] = paid.get(currency, Decimal("0")) + amount
    if not paid:
        return "Nothing was paid on this order, so nothing is charged or refunded."
    amounts = " and ".join(money_text(str(amount), currency) for currency, amount in paid.items())
    paid_by = "you paid" if whose == "you" else f"{whose} paid"
    goes_to = "your deposit" if whose == "you" else "their deposit"
    return f"What {paid_by}, {amounts}, goes back to {goes_to}."
