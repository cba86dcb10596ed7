"""The business calendar of bank transfer confirmations (rule R9).

A transfer is confirmed (by the bank's notice or by staff) only on a business day: not a
Saturday, not a Sunday, not a public or bank holiday of the bank's country (the `holidays`
library), not a configured extra closing day. A report filed on a business day before
the cutoff (local time of the calendar's timezone) is confirmed that day; any later report is
confirmed on the next business day. Pure: no clock, no environment, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_rules

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The receiving account takes the billing currency, EUR, by SEPA transfer: a euro account at a
# German bank in development. Germany's national holidays close it (25 and 26 December, Good
# Friday, Easter Monday, 1 May...), which is what a euro transfer waits for.
DEFAULT_BANK_COUNTRY = "DE"
DEFAULT_TIMEZONE = "Asia/Shanghai"  # where staff confirm transfers and read the notices
_CATEGORIES = frozenset({"public", "bank"})  # a country's bank holidays, where it has them
EXTRA_CLOSING_DAY = "closed (configured)"


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekends and bank holidays are not business days; reports after the cutoff roll over."""

    holidays: frozenset[date]  # the configured extra closing days
    timezone: str = DEFAULT_TIMEZONE
    cutoff: time = time(15, 0)
    country: str | None = None  # ISO 3166 code whose public and bank holidays close the bank

    def __post_init__(self) -> None:
        checked_timezone(self.timezone)
        if self.cutoff.tzinfo is not None:
            raise ValueError("the cutoff is a local time: it must not carry a timezone")
        checked_country(self.country)

    def holiday_name(self, d: date) -> str | None:
        """The name of the holiday or closing day `d` is, None for an ordinary day."""
        if self.country is not None:
            name = _country_holidays(self.country, d.year).get(d)
            if name:
                return name
        return EXTRA_CLOSING_DAY if d in self.holidays else None

    def is_holiday(self, d: date) -> bool:
        """True when the bank's country or the configuration closes `d`."""
        return self.holiday_name(d) is not None

    def holidays_between(self, start: date, end: date) -> list[date]:
        """Every holiday or closing day from `start` to `end`, both included, in order."""
        days = (start + timedelta(days=n) for n in range((end - start).days + 1))
        return [d for d in days if self.is_holiday(d)]

    def is_business_day(self, d: date) -> bool:
        """True unless `d` is a Saturday, a Sunday, a holiday or a closing day."""
        return d.weekday() < _SATURDAY and not self.is_holiday(d)

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


@lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holiday_rules.list_supported_countries())


@lru_cache(maxsize=256)
def _country_holidays(country: str, year: int) -> Mapping[date, str]:
    """One year of a country's public (and, where it has them, bank) holidays; computed once,
    then only read (the library's own object fills itself in on lookup: not shared)."""
    rules = holiday_rules.country_holidays(country, years=year)
    categories = tuple(sorted(_CATEGORIES & set(rules.supported_categories)))
    return dict(holiday_rules.country_holidays(country, years=year, categories=categories))


def checked_timezone(name: str) -> str:
    """`name`, a time zone the system knows (ValueError otherwise)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc
    return name


def checked_country(code: str | None) -> str | None:
    """`code`, None or a country whose holidays the `holidays` library knows (ValueError
    otherwise)."""
    if code is not None and code not in _supported_countries():
        raise ValueError(
            f"unknown bank country {code!r}: expected an ISO 3166 code the holidays library "
            "knows, e.g. DE, FR, CN"
        )
    return code


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
