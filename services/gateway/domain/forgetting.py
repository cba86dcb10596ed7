"""Forgetting a customer (issue 21): the legal hold in a customer's words, and how a closed
account is named. Pure rules; the services' lists and the database are elsewhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.money import Money
from shared.personal.sealing import FORGOTTEN

PLACEHOLDER_DOMAIN = "forgotten.invalid"
KINDS = {"first": "1st billing", "second": "2nd billing"}


def placeholder_email(customer_id: str) -> str:
    """The e-mail a forgotten account keeps: nobody's, and unique (the column is)."""
    return f"forgotten-{customer_id}@{PLACEHOLDER_DOMAIN}"


def is_placeholder(email: str) -> bool:
    """The e-mail is a forgotten account's placeholder."""
    return email.endswith(f"@{PLACEHOLDER_DOMAIN}")


def shown_email(email: str) -> str:
    """The e-mail as staff read it: "forgotten customer" for a forgotten account."""
    return FORGOTTEN if is_placeholder(email) else email


@dataclass(frozen=True)
class Hold:
    """One order (or the deposit: no order id) that keeps the customer from being forgotten,
    and why, in a sentence."""

    order_id: str
    sentence: str


def _money(value: Any) -> str:
    try:
        return Money(Decimal(str(value["amount"])), str(value["currency"])).formatted()
    except (InvalidOperation, KeyError, TypeError, ValueError):
        return "money"


def _billing_words(billing: Mapping[str, Any]) -> str:
    owed = _money(billing.get("owed"))
    kind = KINDS.get(str(billing.get("kind", "")), "billing")
    if "refund" in str(billing.get("reason", "")):
        return f"{owed} to be refunded to you ({kind}), which settles once the refund is paid out"
    return f"{owed} to pay ({kind}), which settles once it is paid or the order is cancelled"


def legal_holds(
    orders: Sequence[Mapping[str, Any]],
    billings: Sequence[Mapping[str, Any]],
    status_words: Mapping[str, str],
) -> list[Hold]:
    """Each order that is still open or has money open, with why and what settles it; none
    means the customer may be forgotten (a shop must keep its accounting until then)."""
    money: dict[str, list[str]] = {}
    deposits: list[Hold] = []
    for billing in billings:
        if not billing.get("order_id"):  # the deposit's balance, of no order
            deposits.append(
                Hold(
                    "",
                    f"Your deposit still holds {_money(billing.get('owed'))}, which settles "
                    "once it is paid back to you or used on an order.",
                )
            )
            continue
        money.setdefault(str(billing["order_id"]), []).append(_billing_words(billing))
    statuses = {str(o.get("order_id", "")): str(o.get("status", "")) for o in orders}
    holds = []
    for order_id in [*statuses, *(o for o in money if o not in statuses)]:
        parts = []
        if order_id in money:
            parts.append(f"still has {' and '.join(money[order_id])}")
        status = statuses.get(order_id)
        if status is not None:
            words = status_words.get(status, status.replace("_", " ")).lower()
            parts.append(f"is still in progress ({words}) until it is completed or cancelled")
        holds.append(Hold(order_id, f"Order {order_id} {'; it '.join(parts)}."))
    return holds + deposits
