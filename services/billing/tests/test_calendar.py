"""The business calendar of bank transfer confirmations (R9), on the pure domain model."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.config import bank_calendar
from services.billing.domain.calendar import (
    EXTRA_CLOSING_DAY,
    BusinessCalendar,
    parse_holidays,
)
from shared.config import ConfigurationError, Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY = date(2026, 11, 26)
FRIDAY = date(2026, 11, 27)
SATURDAY = date(2026, 11, 28)
SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)
TUESDAY = date(2026, 12, 1)
CALENDAR = BusinessCalendar(holidays=frozenset())


def _shanghai(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=SHANGHAI)


def test_weekdays_are_business_days_and_weekends_are_not() -> None:
    assert CALENDAR.is_business_day(FRIDAY)
    assert CALENDAR.is_business_day(MONDAY)
    assert not CALENDAR.is_business_day(SATURDAY)
    assert not CALENDAR.is_business_day(SUNDAY)


def test_a_holiday_is_not_a_business_day() -> None:
    calendar = BusinessCalendar(holidays=frozenset({MONDAY}))
    assert not calendar.is_business_day(MONDAY)
    assert calendar.next_business_day(FRIDAY) == TUESDAY


def test_the_next_business_day_is_strictly_after() -> None:
    assert CALENDAR.next_business_day(THURSDAY) == FRIDAY
    assert CALENDAR.next_business_day(FRIDAY) == MONDAY
    assert CALENDAR.next_business_day(SATURDAY) == MONDAY


@pytest.mark.rule("R9")
def test_a_report_before_the_cutoff_on_a_business_day_is_confirmed_the_same_day() -> None:
    assert CALENDAR.expected_confirmation(_shanghai(THURSDAY, 14, 59)) == THURSDAY


@pytest.mark.rule("R9")
@pytest.mark.parametrize("day", [SATURDAY, SUNDAY])
def test_a_weekend_report_is_confirmed_on_monday(day: date) -> None:
    assert CALENDAR.expected_confirmation(_shanghai(day, 9)) == MONDAY


@pytest.mark.rule("R9")
@pytest.mark.parametrize("minute", [0, 30])
def test_a_friday_report_at_or_after_the_cutoff_is_confirmed_on_monday(minute: int) -> None:
    assert CALENDAR.expected_confirmation(_shanghai(FRIDAY, 15, minute)) == MONDAY


@pytest.mark.rule("R9")
def test_a_report_before_a_holiday_monday_is_confirmed_on_tuesday() -> None:
    calendar = BusinessCalendar(holidays=frozenset({MONDAY}))
    assert calendar.expected_confirmation(_shanghai(SATURDAY, 10)) == TUESDAY
    assert calendar.expected_confirmation(_shanghai(MONDAY, 9)) == TUESDAY


@pytest.mark.rule("R9")
def test_the_report_is_read_in_the_calendars_timezone() -> None:
    late_thursday_utc = datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # Friday 07:00 in Shanghai
    assert CALENDAR.expected_confirmation(late_thursday_utc) == FRIDAY


def test_a_naive_report_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        CALENDAR.expected_confirmation(datetime(2026, 11, 26, 10, 0))


def test_an_unknown_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        BusinessCalendar(holidays=frozenset(), timezone="Mars/Olympus")


def test_business_days_are_listed_inclusively() -> None:
    calendar = BusinessCalendar(holidays=frozenset({TUESDAY}))
    assert calendar.business_days(THURSDAY, date(2026, 12, 2)) == [
        THURSDAY,
        FRIDAY,
        MONDAY,
        date(2026, 12, 2),
    ]
    assert calendar.business_days(FRIDAY, FRIDAY) == [FRIDAY]
    assert calendar.business_days(MONDAY, FRIDAY) == []


def test_holidays_are_parsed_from_a_comma_separated_list() -> None:
    assert parse_holidays(" 2026-10-01, 2026-10-02 ,") == frozenset(
        {date(2026, 10, 1), date(2026, 10, 2)}
    )
    assert parse_holidays("") == frozenset()


@pytest.mark.parametrize("text", ["2026-10-01,2026-13-01", "2026-10-01,tomorrow", "20261001"])
def test_a_bad_holiday_entry_is_refused_with_a_clear_message(text: str) -> None:
    with pytest.raises(ValueError, match="bad bank holiday"):
        parse_holidays(text)


_ZONES = st.sampled_from([UTC, SHANGHAI, ZoneInfo("America/New_York"), ZoneInfo("Europe/Paris")])


@pytest.mark.rule("R9")
@settings(database=None)  # no example database on disk: the test does no I/O
@given(
    reported_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=_ZONES
    ),
    holidays=st.frozensets(st.dates(date(2000, 1, 1), date(2100, 12, 31)), max_size=40),
)
def test_the_expected_confirmation_is_a_business_day_on_or_after_the_report(
    reported_at: datetime, holidays: frozenset[date]
) -> None:
    calendar = BusinessCalendar(holidays=holidays)
    local_day = reported_at.astimezone(SHANGHAI).date()
    confirmation = calendar.expected_confirmation(reported_at)
    assert calendar.is_business_day(confirmation)
    assert confirmation >= local_day
    assert confirmation <= calendar.next_business_day(local_day)


@pytest.mark.rule("R9")
def test_R9_the_bank_countrys_holidays_close_christmas_and_easter_monday() -> None:
    calendar = configured()
    assert calendar.country == "DE"
    assert not calendar.is_business_day(date(2026, 12, 25))  # a Friday
    assert calendar.holiday_name(date(2026, 12, 25))
    assert not calendar.is_business_day(date(2027, 3, 29))  # Easter Monday 2027
    assert calendar.is_business_day(date(2026, 12, 24))
    # reported on Christmas Eve after the cutoff: Friday 25 and the weekend are closed, and
    # the 26th (a Saturday) too, so Monday the 28th
    assert calendar.expected_confirmation(_shanghai(date(2026, 12, 24), 16)) == date(2026, 12, 28)


@pytest.mark.rule("R9")
def test_R9_configured_extra_closing_days_add_to_the_countrys_holidays() -> None:
    calendar = configured(bank_holidays="2026-12-24", bank_country="fr")
    assert calendar.country == "FR"
    assert calendar.holiday_name(date(2026, 12, 24)) == EXTRA_CLOSING_DAY
    assert calendar.holiday_name(date(2026, 7, 14))  # Bastille Day
    assert calendar.holidays_between(date(2026, 12, 20), date(2026, 12, 31)) == [
        date(2026, 12, 24),
        date(2026, 12, 25),
    ]


def test_no_bank_country_leaves_weekends_and_the_configured_days() -> None:
    calendar = configured(bank_country="", bank_holidays="2026-10-01")
    assert calendar.country is None
    assert calendar.is_business_day(date(2026, 12, 25))
    assert not calendar.is_business_day(date(2026, 10, 1))


def test_an_unknown_bank_country_or_timezone_is_refused_at_start_by_its_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"CNNECT_BILLING_BANK_COUNTRY .* country 'XX'"):
        configured(bank_country="XX")
    with pytest.raises(ConfigurationError, match=r"CNNECT_BILLING_BANK_TIMEZONE .* timezone"):
        configured(bank_timezone="Mars/Olympus")
    with pytest.raises(ConfigurationError, match=r"CNNECT_BILLING_BANK_HOLIDAYS .* 2026-13-01"):
        configured(bank_holidays="2026-12-24, 2026-13-01")


def configured(**extra: str) -> BusinessCalendar:
    """The calendar billing starts with, given its `CNNECT_BILLING_BANK_*` settings."""
    return bank_calendar(Settings(service="billing", extra=extra))
