"""The one money format and the one moment format of every page (R4): "1234.50 EUR" (two
decimals, or the currency's minor unit, then its code) and "2026-12-02 15:03 UTC" (a moment
always with its time zone). Registered as Jinja filters `money` and `moment`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

from shared.money import Money


def money_text(value: Any, currency: str | None = None) -> str:
    """`{"amount": "12.3", "currency": "EUR"}` or `("12.3", "EUR")` as "12.30 EUR"."""
    if isinstance(value, Mapping):
        amount, currency = value.get("amount"), value.get("currency")
    else:
        amount = value
    if amount is None or amount == "":
        return ""
    if not currency:
        return str(amount)
    try:
        return Money(Decimal(str(amount)), str(currency)).formatted()
    except (InvalidOperation, ValueError, TypeError):
        return f"{amount} {currency}"  # an amount we cannot read is shown as it came


def moment_text(
    value: Any, zone: str = "UTC", *, ago: bool = False, now: datetime | None = None
) -> str:
    """An ISO 8601 moment as "2026-12-02 23:03 Asia/Shanghai" in `zone` (UTC by default);
    with `ago`, the staff console's short form "2 Dec 23:03, 5 min ago" (R27: the page says
    once which zone its times are in)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
        local = moment.astimezone(ZoneInfo(zone)) if moment.tzinfo else moment
    except (ValueError, ZoneInfoNotFoundError):
        return str(value)
    if not ago:
        return f"{local:%Y-%m-%d %H:%M} {zone}"
    now = now or datetime.now(UTC)
    local_now = now.astimezone(local.tzinfo) if local.tzinfo else now.replace(tzinfo=None)
    year = "" if local.year == local_now.year else f" {local.year}"
    return f"{local.day} {local:%b}{year} {local:%H:%M}, {_age(local_now - local)}"


def _age(elapsed: timedelta) -> str:
    """How long ago, in the largest unit that is not zero: "just now", "5 min ago", "3 h ago",
    "2 days ago" ("in 5 min" for a moment still ahead)."""
    seconds = int(elapsed.total_seconds())
    ahead, seconds = seconds < 0, abs(seconds)
    if seconds < 60:
        return "just now"
    size, unit = next(u for u in ((86400, "day"), (3600, "h"), (60, "min")) if seconds >= u[0])
    count = seconds // size
    words = f"{count} {unit}" + ("s" if unit == "day" and count > 1 else "")
    return f"in {words}" if ahead else f"{words} ago"


def register_formats(app: Flask) -> None:
    """Make `money` and `moment` filters of every template."""
    app.jinja_env.filters["money"] = money_text
    app.jinja_env.filters["moment"] = moment_text
