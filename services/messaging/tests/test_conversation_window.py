"""The message window of an order, on the pure domain model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.messaging.domain.conversation import Conversation

NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.mark.rule("R12")
def test_R12_messages_stay_possible_for_30_days_after_the_order_ended() -> None:
    conversation = Conversation("o1")
    for event in conversation.open("c1", NOW, ["itm-1"]):
        conversation.apply(event)
    assert conversation.accepts_messages(NOW + timedelta(days=300))
    for event in conversation.order_ended("completed", NOW):
        conversation.apply(event)
    assert conversation.accepts_messages(NOW + timedelta(days=29, hours=23))
    assert not conversation.accepts_messages(NOW + timedelta(days=30))
    assert conversation.order_ended("completed", NOW + timedelta(days=1)) == []
