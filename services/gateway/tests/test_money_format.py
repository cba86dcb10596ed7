"""The one money and moment format of the pages (R4) and the calendar's month grids (R9)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.gateway.entrypoints.pages.calendar_grid import month_grids, months_asked
from services.gateway.entrypoints.pages.formats import moment_text, money_text


@pytest.mark.rule("R4")
def test_R4_every_amount_reads_with_two_decimals_and_its_currency_code() -> None:
    assert money_text({"amount": "12.3", "currency": "EUR"}) == "12.30 EUR"
    assert money_text("0", "EUR") == "0.00 EUR"
    assert money_text({"amount": "1E+1", "currency": "CNY"}) == "10.00 CNY"
    assert money_text("0.005", "EUR") == "0.01 EUR"  # half-up, as billing rounds
    assert money_text(None) == "" and money_text("n/a", "EUR") == "n/a EUR"


@pytest.mark.rule("R4")
def test_R4_a_moment_is_shown_with_its_time_zone() -> None:
    assert moment_text("2026-12-02T15:03:41.5+00:00") == "2026-12-02 15:03 UTC"
    assert moment_text("2026-12-02T15:03:00+00:00", "Asia/Shanghai") == (
        "2026-12-02 23:03 Asia/Shanghai"
    )


def _answer(start: date, days: int, closed: dict[date, str], next_day: date) -> dict[str, object]:
    listed = []
    for n in range(days):
        d = start + timedelta(days=n)
        name = closed.get(d)
        listed.append(
            {
                "date": d.isoformat(),
                "business_day": d.weekday() < 5 and name is None,
                "holiday": name is not None,
                "holiday_name": name,
            }
        )
    return {"days": listed, "next_confirmation_day": next_day.isoformat()}


@pytest.mark.rule("R9")
def test_R9_the_calendar_is_two_month_grids_with_closed_days_named_and_the_next_day_marked() -> (
    None
):
    start, days = months_asked(date(2026, 12, 17))
    assert (start, days) == (date(2026, 12, 1), 31 + 31)
    christmas = date(2026, 12, 25)
    months = month_grids(_answer(start, days, {christmas: "Christmas Day"}, date(2026, 12, 28)))
    assert [m.title for m in months] == ["December 2026", "January 2027"]
    december = months[0]
    assert all(len(week) == 7 for week in december.weeks)
    assert december.weeks[0][0] is None and december.weeks[0][1] is not None  # 1st: Tuesday
    cells = {c.date: c for week in december.weeks for c in week if c is not None}
    assert (cells[christmas].business_day, cells[christmas].closed_because) == (
        False,
        "Christmas Day",
    )
    assert cells[date(2026, 12, 26)].closed_because == "Weekend"
    assert [d for d, c in cells.items() if c.next_confirmation] == [date(2026, 12, 28)]
