"""What a billing's JSON says about bank transfers (R9), in words a customer reads: the
reference to write on the transfer, a reported transfer still awaited (with the business day
it is expected by), and where a short or excess payment left the money."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.billing import views
from services.billing.domain.transfer import transfer_reference
from shared.web.app import jsonable, service_context


def long_day(day: date) -> str:
    """A day as a customer reads it: "Monday 7 December 2026"."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def report_sentence(amount: str, reported_at: date, expected: date, timezone: str) -> str:
    """ "Transfer of X reported on <date>; expected to be confirmed by <day> (<time zone>)"."""
    return (
        f"Transfer of {amount} reported on {long_day(reported_at)}; expected to be confirmed "
        f"by {long_day(expected)} ({timezone} time, a business day)."
    )


def balance_sentence(row: dict[str, Any], balance: Decimal, to_deposit: Decimal) -> str:
    """Where the money of this billing stands, in words ('' while nothing was paid)."""
    currency = row["currency"]
    words = []
    if row["status"] == "partially_paid" and balance > 0:
        words.append(
            f"{row['paid']:.2f} {currency} is paid; {balance:.2f} {currency} is still open "
            "(a short payment): pay the rest by bank transfer or card."
        )
    if to_deposit > 0 and row["status"] == "voided":
        words.append(
            f"{to_deposit:.2f} {currency} paid after the order was cancelled went to your deposit."
        )
    elif to_deposit > 0:
        words.append(
            f"You paid {to_deposit:.2f} {currency} more than this billing asked: it went to "
            "your deposit, which pays your next billing first."
        )
    return " ".join(words)


def transfer_fields(rows: Sequence[dict[str, Any]], timezone: str) -> dict[str, dict[str, Any]]:
    """Per billing id: its transfer reference, pending report and balance in words."""
    ids = [r["billing_id"] for r in rows]
    store = service_context().store
    reports, excess = views.transfer_facts(store, ids)
    fields: dict[str, dict[str, Any]] = {}
    for row in rows:
        bid = row["billing_id"]
        to_deposit = excess.get(bid, Decimal(0))
        report = reports.get(bid)
        pending = None
        if report is not None:
            amount = f"{report['amount']:.2f} {report['currency']}"
            pending = {
                **jsonable(report),
                "paid_on": report["paid_on"].isoformat(),
                "expected_confirmation": report["expected_confirmation"].isoformat(),
                "timezone": timezone,
                "sentence": report_sentence(
                    amount,
                    report["reported_at"].astimezone(ZoneInfo(timezone)).date(),
                    report["expected_confirmation"],
                    timezone,
                ),
            }
        fields[bid] = {
            "transfer_reference": transfer_reference(bid),
            "pending_report": pending,
            "to_deposit": f"{to_deposit:.2f}",
            "balance_in_words": balance_sentence(row, views.balance(row), to_deposit),
        }
    return fields
