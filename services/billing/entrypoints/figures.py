"""The figures of a billing a customer can check (R4): each line in its own currency, the rate
with its date, the converted amounts, the service fee rule in words, and every amount in the
one money format ("12.30 EUR")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from services.billing.domain.pricing import ServiceFee
from shared.money import Money


def with_figures(row: Mapping[str, Any]) -> dict[str, Any]:
    """A billing's JSON (a `billing_summaries` row with its balance) with its figures added so
    they can be checked."""
    return {**row, **billing_figures(row, Decimal(row["balance"]))}


def billing_figures(row: Mapping[str, Any], balance: Decimal) -> dict[str, Any]:
    """What the billing JSON adds to a `billing_summaries` row so its figures can be checked."""
    currency: str = row["currency"]
    lines = [_line(line) for line in row["lines"]]
    originals = [line["original"] for line in lines if line["original"] is not None]
    subtotal = None
    if originals:
        # Lines priced in CNY (goods, China shipping, service fee, local costs) add up here.
        first = originals[0]["currency"]
        subtotal = sum((_money(o) for o in originals if o["currency"] == first), Money.zero(first))
    return {
        "lines": lines,
        "rate_date": _iso(row.get("rate_date")),
        "exchange": _exchange(row, currency, originals),
        "service_fee_rule": _fee_words(row.get("service_fee")),
        "original_subtotal": _wire(subtotal) if subtotal is not None else None,
        "formatted": {
            "amount": Money(Decimal(row["amount"]), currency).formatted(),
            "paid": Money(Decimal(row["paid"]), currency).formatted(),
            "balance": Money(balance, currency).formatted(),
            "refunded": Money(Decimal(row.get("refunded") or 0), currency).formatted(),
        },
    }


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    amount = _money(line["amount"])
    original = _money(line["original"]) if line.get("original") else None
    return {
        "label": line["label"],
        "amount": _wire(amount),
        "original": _wire(original) if original else None,
        "formatted": amount.formatted(),
        "original_formatted": original.formatted() if original else None,
    }


def _exchange(
    row: Mapping[str, Any], currency: str, originals: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The rate, shown wherever a converted amount is (None when nothing was converted)."""
    rate = row.get("exchange_rate")
    if rate is None or not originals:
        return None
    source = originals[0]["currency"]
    when = _iso(row.get("rate_date"))
    text = f"1 {source} = {Decimal(rate).normalize():f} {currency}"
    return {
        "from": source,
        "to": currency,
        "rate": f"{Decimal(rate).normalize():f}",
        "date": when,
        "words": f"{text}, rate of {when}" if when else text,
    }


def _fee_words(fee: Mapping[str, Any] | None) -> str | None:
    if not fee:
        return None
    return ServiceFee(Decimal(fee["percent"]), _money(fee["minimum"])).words()


def _money(wire: Mapping[str, Any]) -> Money:
    return Money(Decimal(wire["amount"]), wire["currency"])


def _wire(money: Money) -> dict[str, str]:
    return {"amount": f"{money.rounded().amount:f}", "currency": money.currency}


def _iso(value: Any) -> str | None:
    """A date as ISO 8601 (Flask would write an HTTP date)."""
    return value.isoformat() if isinstance(value, date) else value
