"""The deadlines the rules set, shown where the customer looks: when an unpaid order will be
cancelled (R16), when a shipped order completes by itself (R24), until when a finished
order's messages can still be written (R12). The API answers each in ISO 8601 with an offset;
the order page says the date, the time and the time zone of the business calendar in words."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from tests.support.journey import Journey, gateway_page
from tests.support.system import System, poll

ISO_WITH_OFFSET = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def _deadline_row(system: System, kind: str, order_id: str) -> datetime:
    """When the scheduler will fire `kind` for the order (what the rule will really do)."""
    with psycopg.connect(system.database_url("orders")) as conn:
        row = conn.execute(
            "SELECT due_at FROM deadlines WHERE kind = %s AND key = %s AND fired_at IS NULL",
            (kind, order_id),
        ).fetchone()
    assert row is not None, f"no {kind} deadline for {order_id}"
    due: datetime = row[0]
    return due


def _api_moment(value: Any) -> datetime:
    assert isinstance(value, str) and ISO_WITH_OFFSET.match(value), value
    return datetime.fromisoformat(value)


def _calendar_zone(system: System) -> ZoneInfo:
    """The business calendar's time zone, as billing publishes it."""
    answer = requests.get(system.url("gateway", "/api/billing/calendar?days=1"), timeout=10)
    return ZoneInfo(answer.json()["timezone"])


def _note(page: str, note_id: str) -> str:
    found = re.search(rf'id="{note_id}"[^>]*>(.*?)</p>', page, re.S)
    assert found is not None, f"the page has no {note_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def _says_moment(note: str, moment: datetime, zone: ZoneInfo) -> None:
    local = moment.astimezone(zone)
    assert f"{local.day} {local:%B %Y}, {local:%H:%M}" in note, note
    assert str(zone) in note, note


@pytest.mark.rule("R16")
def test_R16_an_unpaid_order_says_when_it_will_be_cancelled_until_it_is_paid(
    system: System,
) -> None:
    browser, journey = Journey.signed_up(system, "deadline-r16@example.com")
    journey.place()
    order = poll(journey.order, lambda o: o is not None and o.get("first_billing"))
    due = _deadline_row(system, "auto-cancel", journey.order_id)
    assert _api_moment(order.get("auto_cancel_at")) == due
    note = _note(gateway_page(system, browser, f"/orders/{journey.order_id}"), "auto-cancel-note")
    assert note.startswith("Unpaid orders are cancelled automatically: this one on")
    _says_moment(note, due, _calendar_zone(system))
    journey.pay("first")
    paid = journey.wait_status("purchasing")
    assert paid["auto_cancel_at"] is None
    assert 'id="auto-cancel-note"' not in gateway_page(
        system, browser, f"/orders/{journey.order_id}"
    )


@pytest.mark.rule("R24")
def test_R24_a_shipped_order_says_when_it_completes_by_itself(system: System) -> None:
    browser, journey = Journey.signed_up(system, "deadline-r24@example.com")
    journey.to_shipped(["EE100000001CN", "EE100000002CN"])
    order = journey.order()
    due = _deadline_row(system, "auto-complete", journey.order_id)
    assert _api_moment(order.get("auto_complete_at")) == due
    note = _note(gateway_page(system, browser, f"/orders/{journey.order_id}"), "auto-complete-note")
    assert "complete" in note and "reception report" in note
    _says_moment(note, due, _calendar_zone(system))


@pytest.mark.rule("R12")
def test_R12_a_cancelled_order_says_until_when_messages_can_be_written(system: System) -> None:
    browser, journey = Journey.signed_up(system, "deadline-r12@example.com")
    journey.place()
    journey.wait_status("applied")
    assert journey.post("orders", f"/orders/{journey.order_id}/cancel", {}).status_code == 200
    conversation = journey.conversation(lambda c: c.get("closes_at"))
    closes = _api_moment(conversation["closes_at"])
    cancelled = journey.wait_status("cancelled")
    assert closes == datetime.fromisoformat(cancelled["cancelled_at"]) + timedelta(days=30)
    note = _note(
        gateway_page(system, browser, f"/orders/{journey.order_id}"), "messages-close-note"
    )
    assert "messages" in note.lower()
    _says_moment(note, closes, _calendar_zone(system))
