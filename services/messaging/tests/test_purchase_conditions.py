"""Which items a message may name, on the pure domain model: a purchase condition only for an
item of the order still awaiting the 1st payment (R13); a request only for an item of the
order (R19). A refused message yields no event, so nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.messaging.domain.conversation import Conversation, ConversationOpened
from shared.domain_errors import InvalidTransitionError, ValidationError
from shared.events.codec import from_json

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _opened(*item_ids: str) -> Conversation:
    conversation = Conversation("o1")
    for event in conversation.open("c1", NOW, list(item_ids)):
        conversation.apply(event)
    return conversation


def _then(conversation: Conversation, events: list[object]) -> Conversation:
    for event in events:
        conversation.apply(event)
    return conversation


def _condition(conversation: Conversation, item_id: str) -> list[object]:
    return conversation.post("m1", "customer", "purchase_condition", "navy?", [], NOW, item_id)


@pytest.mark.rule("R13")
def test_R13_a_condition_on_an_item_of_the_order_before_payment_is_passed_on() -> None:
    posted = _condition(_opened("itm-1", "itm-2"), "itm-2")
    assert [type(e).__name__ for e in posted] == ["MessagePosted", "PurchaseConditionRequested"]


@pytest.mark.rule("R13")
def test_R13_a_condition_on_an_item_not_on_the_order_is_refused_naming_it() -> None:
    with pytest.raises(ValidationError, match="itm-999 is not an item of order o1"):
        _condition(_opened("itm-1"), "itm-999")


@pytest.mark.rule("R13", "R17")
def test_R13_a_condition_on_an_item_cancelled_before_payment_is_refused() -> None:
    conversation = _opened("itm-1", "itm-2")
    _then(conversation, conversation.items_changed(["itm-1"], NOW))
    with pytest.raises(InvalidTransitionError, match="itm-2 was cancelled"):
        _condition(conversation, "itm-2")
    assert conversation.items_changed(["itm-1"], NOW) == []


@pytest.mark.rule("R13")
def test_R13_a_condition_after_the_first_billing_is_paid_is_refused() -> None:
    conversation = _opened("itm-1")
    _then(conversation, conversation.first_billing_paid(NOW))
    with pytest.raises(InvalidTransitionError, match="1st billing is paid"):
        _condition(conversation, "itm-1")
    assert conversation.first_billing_paid(NOW) == []


@pytest.mark.rule("R13")
def test_R13_a_condition_on_a_cancelled_order_is_refused() -> None:
    conversation = _opened("itm-1")
    _then(conversation, conversation.order_ended("cancelled", NOW))
    with pytest.raises(InvalidTransitionError, match="cancelled"):
        _condition(conversation, "itm-1")


@pytest.mark.rule("R19")
def test_R19_an_exchange_request_naming_an_item_not_on_the_order_is_refused() -> None:
    conversation = _opened("itm-1")
    with pytest.raises(ValidationError, match="itm-7 is not an item of order o1"):
        conversation.post("m1", "customer", "exchange_request", "swap", [], NOW, "itm-7")
    asked = conversation.post("m1", "customer", "exchange_request", "swap", [], NOW, "itm-1")
    assert len(asked) == 1


@pytest.mark.rule("R13")
def test_R13_a_conversation_stored_before_items_were_kept_still_replays_and_takes_conditions() -> (
    None
):
    # Stored before messaging kept the order's items: it cannot check them, so orders does.
    stored = {"order_id": "o1", "customer_id": "c1", "opened_at": NOW.isoformat()}
    old = Conversation.replay("o1", [from_json(ConversationOpened, stored)])
    assert old.item_ids is None
    assert len(_condition(old, "itm-1")) == 2
    _then(old, old.items_changed(["itm-1"], NOW))
    with pytest.raises(ValidationError):
        _condition(old, "itm-3")
