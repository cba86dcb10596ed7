"""The staff console's words (R27): times in the staff member's zone with how long ago, and
each live event as a sentence, its Chinese and Japanese text as characters."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from services.gateway.config import load_config
from services.gateway.console import line
from services.gateway.entrypoints.pages.formats import moment_text
from services.gateway.event_words import sentence, title
from shared.config import ConfigurationError, load_settings
from shared.events.contracts import CONTRACTS, Envelope
from shared.personal.keyring import MemoryKeyring
from shared.personal.personal_data import PersonalData

NOW = datetime(2026, 12, 2, 6, 31, 57, tzinfo=UTC)


@pytest.mark.rule("R27")
def test_R27_a_staff_time_reads_in_their_zone_with_how_long_ago() -> None:
    moment = "2026-12-02T06:26:56.548521+00:00"
    assert moment_text(moment, "Asia/Shanghai", ago=True, now=NOW) == "2 Dec 14:26, 5 min ago"
    assert moment_text(moment, "Europe/Paris", ago=True, now=NOW) == "2 Dec 07:26, 5 min ago"
    assert moment_text("2026-11-29T06:00:00+00:00", "UTC", ago=True, now=NOW) == (
        "29 Nov 06:00, 3 days ago"
    )
    assert moment_text("2025-12-02T06:31:30+00:00", "UTC", ago=True, now=NOW).startswith(
        "2 Dec 2025 06:31, "
    )
    assert moment_text("2026-12-02T06:31:30+00:00", "UTC", ago=True, now=NOW).endswith("just now")
    assert moment_text("2026-12-02T09:31:57+00:00", "UTC", ago=True, now=NOW).endswith("in 3 h")


@pytest.mark.rule("R27")
def test_R27_the_staff_zone_is_a_setting_that_defaults_to_the_business_calendars() -> None:
    assert staff_zone({}) == "Asia/Shanghai"
    assert staff_zone({"CNNECT_GATEWAY_STAFF_TIMEZONE": "Europe/Paris"}) == "Europe/Paris"
    with pytest.raises(ConfigurationError, match=r"CNNECT_GATEWAY_STAFF_TIMEZONE .*no time zone"):
        staff_zone({"CNNECT_GATEWAY_STAFF_TIMEZONE": "Mars/Olympus"})


def staff_zone(environ: dict[str, str]) -> str:
    """The staff console's zone the gateway starts with in `environ`."""
    return load_config(load_settings("gateway", environ)).staff_timezone


@pytest.mark.rule("R27")
def test_R27_a_payment_reads_as_a_sentence() -> None:
    data = {
        "amount": {"amount": "19.33", "currency": "EUR"},
        "method": "card",
        "kind": "first",
        "billing_settled": True,
    }
    assert title("PaymentReceived") == "Payment received"
    assert sentence("PaymentReceived", data) == (
        "Payment of 19.33 EUR received by card for the 1st billing; the billing is paid in full"
    )


@pytest.mark.rule("R27")
def test_R27_every_event_type_has_a_name_and_a_sentence_from_its_example() -> None:
    for contract in CONTRACTS:
        assert " " in title(contract.type) or contract.type == "Shipped", contract.type
        words = sentence(contract.type, contract.example)
        assert words and "{" not in words and "None" not in words, (contract.type, words)


@pytest.mark.rule("R27")
def test_R27_the_live_feed_keeps_chinese_and_japanese_as_text() -> None:
    data = dict(CONTRACTS.contract("MessagePosted").example, text="承认收到 · 確認しました")
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type="MessagePosted",
        schema_version=2,
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        causation_id=None,
        producer="messaging",
        stream_id="conversation-ord-1",
        stream_version=1,
        ordering_key="ord-1",
        data=data,
    )
    text = line(envelope, "Asia/Shanghai")
    assert "承认收到 · 確認しました" in text and "\\u" not in text
    event = json.loads(text)
    assert event["time"] == "2 Dec 14:31:57"
    assert event["title"] == "Message posted"
    assert "承认收到 · 確認しました" in event["summary"]


@pytest.mark.rule("R27")
def test_R27_the_live_feed_shows_a_customers_sealed_text_opened_or_forgotten() -> None:
    personal = PersonalData(MemoryKeyring())
    sealed = personal.seal("cus-9", "Is the tote navy?")
    data = dict(CONTRACTS.contract("MessagePosted").example, text=sealed)
    envelope = Envelope(
        event_id=uuid.uuid4(),
        type="MessagePosted",
        schema_version=2,
        occurred_at=NOW,
        correlation_id=uuid.uuid4(),
        causation_id=None,
        producer="messaging",
        stream_id="conversation-ord-1",
        stream_version=1,
        ordering_key="ord-1",
        data=data,
    )
    event = json.loads(line(envelope, "UTC", personal.reveal))
    assert "Is the tote navy?" in event["summary"] and event["data"]["text"] == "Is the tote navy?"
    personal.forget("cus-9")
    event = json.loads(line(envelope, "UTC", personal.reveal))
    assert "forgotten customer" in event["summary"] and "pii1:" not in json.dumps(event)
