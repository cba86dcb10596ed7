"""The business calendar as month grids (R9): weeks Monday to Sunday, each day with whether
transfers are confirmed on it, closed days named, the next confirmation day marked."""

from __future__ import annotations

import calendar as gregorian
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

MONTHS_SHOWN = 2  # this month and the next: at most 62 days, what billing answers at once


@dataclass(frozen=True)
class Day:
    """One cell of a month grid."""

    date: date
    business_day: bool
    closed_because: str  # "" on a business day: "Weekend", or the holiday's name
    next_confirmation: bool


@dataclass(frozen=True)
class Month:
    """One month: its title and its weeks, None for the cells outside the month."""

    title: str
    weeks: list[list[Day | None]]


def months_asked(first: date) -> tuple[date, int]:
    """The first day and the number of days of the months shown from `first`'s month."""
    start = first.replace(day=1)
    days = 0
    month = start
    for _ in range(MONTHS_SHOWN):
        length = gregorian.monthrange(month.year, month.month)[1]
        days += length
        month = month + timedelta(days=length)
    return start, days


def month_grids(answer: dict[str, Any]) -> list[Month]:
    """Month grids from billing's `/calendar` answer (its `days` start on a month's 1st)."""
    highlighted = answer.get("next_confirmation_day") or answer.get("confirmation_if_reported_now")
    by_month: dict[tuple[int, int], list[Day]] = {}
    for raw in answer["days"]:
        day = date.fromisoformat(raw["date"])
        closed = "" if raw["business_day"] else (raw.get("holiday_name") or "Weekend")
        if not raw["business_day"] and raw.get("holiday") and not raw.get("holiday_name"):
            closed = "Bank holiday"
        by_month.setdefault((day.year, day.month), []).append(
            Day(day, raw["business_day"], closed, raw["date"] == highlighted)
        )
    return [_month(days) for days in by_month.values()]


def _month(days: list[Day]) -> Month:
    cells: list[Day | None] = [None] * days[0].date.weekday() + list(days)
    cells += [None] * (-len(cells) % 7)
    weeks = [cells[n : n + 7] for n in range(0, len(cells), 7)]
    return Month(f"{days[0].date:%B %Y}", weeks)
