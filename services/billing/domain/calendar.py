"""The business calendar of bank transfer confirmations (rule R9).

A transfer is confirmed (by the bank's notice or by staff) only on a business day: not a
Saturday, not a Sunday, not a configured bank holiday. A report filed on a business day before
the cutoff (local time of the calendar's timezone) is confirmed that day; any later report is
confirmed on the next business day. Pure: no clock, no environment, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekends and bank holidays are not business days; reports after the cutoff roll over."""

    holidays: frozenset[date]
    timezone: str = "Asia/Shanghai"
    cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        if self.cutoff.tzinfo is not None:
            raise ValueError("the cutoff is a local time: it must not carry a timezone")

    def is_business_day(self, d: date) -> bool:
        """True unless `d` is a Saturday, a Sunday or a bank holiday."""
        return d.weekday() < _SATURDAY and d not in self.holidays

    def next_business_day(self, d: date) -> date:
        """The first business day strictly after `d`."""
        candidate = d + _ONE_DAY
        while not self.is_business_day(candidate):
            candidate += _ONE_DAY
        return candidate

    def expected_confirmation(self, reported_at: datetime) -> date:
        """The local date on which a transfer reported at `reported_at` (aware) is confirmed."""
        if reported_at.tzinfo is None or reported_at.utcoffset() is None:
            raise ValueError("reported_at must be an aware datetime")
        local = reported_at.astimezone(ZoneInfo(self.timezone))
        day = local.date()
        if self.is_business_day(day) and local.time() < self.cutoff:
            return day
        return self.next_business_day(day)

    def business_days(self, start: date, end: date) -> list[date]:
        """The business days from `start` to `end`, both included (empty if start > end)."""
        days = (start + timedelta(days=n) for n in range((end - start).days + 1))
        return [d for d in days if self.is_business_day(d)]


def parse_holidays(text: str) -> frozenset[date]:
    """The holidays in a comma-separated list of ISO dates, e.g. CNNECT_BILLING_BANK_HOLIDAYS."""
    holidays: set[date] = set()
    for position, raw in enumerate(text.split(","), start=1):
        entry = raw.strip()
        if entry:
            holidays.add(_parse_holiday(entry, position))
    return frozenset(holidays)


def _parse_holiday(entry: str, position: int) -> date:
    problem = f"bad bank holiday {entry!r} (entry {position}): expected an ISO date YYYY-MM-DD"
    if not _ISO_DATE.fullmatch(entry):
        raise ValueError(problem)
    try:
        return date.fromisoformat(entry)
    except ValueError as exc:
        raise ValueError(f"{problem} ({exc})") from exc
