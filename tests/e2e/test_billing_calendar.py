"""The public business calendar of bank transfer confirmations, from the real billing process
configured with bank holidays (R9)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from services.billing.config import bank_calendar
from shared.config import Settings
from tests.support.system import System

# Its bank holidays would move every other module's deadlines: a system of its own.
pytestmark = pytest.mark.own_system

HOLIDAYS = "2026-10-01, 2026-10-02, 2026-10-03, 2027-01-01"


@pytest.fixture(scope="module")
def system_env() -> dict[str, str]:
    return {"CNNECT_BILLING_BANK_HOLIDAYS": HOLIDAYS}


def _calendar(system: System, **params: str) -> requests.Response:
    return requests.get(system.url("billing", "/calendar"), params=params, timeout=10)


@pytest.mark.rule("R9")
def test_R9_the_calendar_shows_weekends_and_bank_holidays_as_no_business_days(
    system: System,
) -> None:
    answer = _calendar(system, **{"from": "2026-09-28", "days": "7"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert (body["from"], body["to"], body["timezone"]) == (
        "2026-09-28",
        "2026-10-04",
        "Asia/Shanghai",
    )
    assert [(d["date"], d["weekday"], d["business_day"], d["holiday"]) for d in body["days"]] == [
        ("2026-09-28", "Mon", True, False),
        ("2026-09-29", "Tue", True, False),
        ("2026-09-30", "Wed", True, False),
        ("2026-10-01", "Thu", False, True),
        ("2026-10-02", "Fri", False, True),
        ("2026-10-03", "Sat", False, True),
        ("2026-10-04", "Sun", False, False),
    ]
    assert body["holidays"] == ["2026-10-01", "2026-10-02", "2026-10-03"]


@pytest.mark.rule("R9")
def test_R9_by_default_the_calendar_starts_today_and_says_when_a_report_now_is_confirmed(
    system: System,
) -> None:
    calendar = bank_calendar(Settings(service="billing", extra={"bank_holidays": HOLIDAYS}))
    before = datetime.now(UTC)
    body = _calendar(system).json()
    after = datetime.now(UTC)
    today = {t.astimezone(ZoneInfo(calendar.timezone)).date().isoformat() for t in (before, after)}
    assert body["from"] in today
    assert len(body["days"]) == 14 and body["days"][0]["date"] == body["from"]
    confirmations = {calendar.expected_confirmation(t).isoformat() for t in (before, after)}
    assert body["confirmation_if_reported_now"] in confirmations
    assert all(
        d["business_day"] == (d["date"] not in body["holidays"])
        for d in body["days"]
        if d["weekday"] not in ("Sat", "Sun")
    )
    assert _calendar(system, days="62").status_code == 200
    operation = requests.get(system.url("billing", "/openapi.json"), timeout=10).json()
    assert "get" in operation["paths"]["/calendar"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-02-30"},
        {"from": "next monday"},
        {"days": "0"},
        {"days": "63"},
        {"days": "two"},
        {"from": "9999-12-30", "days": "5"},
        {"start": "2026-09-28"},
    ],
)
def test_bad_calendar_queries_are_refused_with_the_error_shape(
    system: System, params: dict[str, str]
) -> None:
    answer = _calendar(system, **params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "validation_error" and body["message"]


@pytest.mark.rule("R9")
def test_R9_christmas_and_the_bank_countrys_holidays_close_the_calendar_by_default(
    system: System,
) -> None:
    # 25 December was a business day: only weekends and the configured dates closed it. The
    # default bank country's holidays (the `holidays` library) now close it, with their names,
    # alongside the configured extra closing days.
    body = _calendar(system, **{"from": "2026-12-21", "days": "14"}).json()
    days = {d["date"]: d for d in body["days"]}
    christmas = days["2026-12-25"]
    assert (christmas["business_day"], christmas["holiday"]) == (False, True), christmas
    assert christmas["holiday_name"], christmas
    assert days["2026-12-24"]["business_day"] is True
    assert days["2027-01-01"]["business_day"] is False  # both the country's and configured
    assert "2026-12-25" in body["holidays"] and body["country"] == "DE"
    assert body["next_confirmation_day"] == body["confirmation_if_reported_now"]
