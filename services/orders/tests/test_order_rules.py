"""Order rules beyond the transition table, on the pure domain model."""

from __future__ import annotations

import pytest

from services.orders.domain import events as ev
from services.orders.domain.status import ItemStatus, OrderStatus
from services.orders.tests.builders import NOW, order_in, order_with_item
from shared.domain_errors import InvalidTransitionError, ValidationError


@pytest.mark.rule("R13")
def test_R13_an_item_with_a_condition_is_not_purchased_before_the_seller_answered() -> None:
    order = order_in(OrderStatus.APPLIED)
    order.apply(order.set_purchase_condition("itm-2", "is it waterproof?", NOW)[0])
    order.apply(order.record_first_payment("b1", NOW)[0])
    with pytest.raises(InvalidTransitionError, match="seller's confirmation"):
        order.mark_purchased("itm-2", NOW)
    order.apply(order.record_seller_confirmation("itm-2", "yes, waterproof", NOW)[0])
    assert isinstance(order.mark_purchased("itm-2", NOW)[0], ev.ItemPurchased)


@pytest.mark.rule("R17")
def test_R17_changing_quantities_emits_every_remaining_item_for_billing() -> None:
    [changed] = order_in(OrderStatus.APPLIED).change_items({"itm-1": 5, "itm-2": 0}, NOW)
    assert isinstance(changed, ev.OrderItemsChanged)
    assert [(i.item_id, i.quantity) for i in changed.items] == [("itm-1", 5)]


@pytest.mark.rule("R17", "R25")
def test_R17_cancelling_every_item_cancels_the_order() -> None:
    new = order_in(OrderStatus.APPLIED).change_items({"itm-1": 0, "itm-2": 0}, NOW)
    assert [type(e) for e in new] == [ev.OrderItemsChanged, ev.OrderCancelled]


@pytest.mark.rule("R20")
def test_R20_an_unavailable_item_is_cancelled_with_what_to_refund() -> None:
    [unavailable] = order_in(OrderStatus.PURCHASING).mark_unavailable("itm-1", "sold out", NOW)
    assert isinstance(unavailable, ev.ItemUnavailable)
    assert unavailable.quantity == 2 and str(unavailable.unit_price) == "45.50 CNY"


@pytest.mark.rule("R20")
def test_R20_the_last_unavailable_item_cancels_the_order() -> None:
    order = order_in(OrderStatus.PURCHASING)
    order.apply(order.mark_unavailable("itm-1", "sold out", NOW)[0])
    new = order.mark_unavailable("itm-2", "sold out", NOW)
    assert isinstance(new[-1], ev.OrderCancelled) and new[-1].reason == "nothing_purchasable"


@pytest.mark.rule("R18")
def test_R18_the_inspection_of_the_last_item_announces_items_inspected_with_weights() -> None:
    order = order_with_item(ItemStatus.ARRIVED)
    order.apply(order.mark_unavailable("itm-2", "damaged by the seller", NOW)[0])
    new = order.inspect_item("itm-1", 2, True, ["pho-1"], 640, NOW)
    assert [type(e) for e in new] == [ev.ItemInspected, ev.ItemsInspected]
    assert new[1].items == [ev.InspectedItem("itm-1", 2, 640)]  # type: ignore[attr-defined]


def test_an_inspection_without_photos_is_refused() -> None:
    with pytest.raises(ValidationError, match="photo"):
        order_with_item(ItemStatus.ARRIVED).inspect_item("itm-1", 2, True, [], None, NOW)


@pytest.mark.rule("R19")
def test_R19_a_return_accepted_refunds_the_item_and_charges_the_local_cost() -> None:
    from decimal import Decimal

    from shared.money import Money

    order = order_with_item(ItemStatus.EXCHANGE_OR_RETURN, exchange_kind="return")
    new = order.answer_exchange("itm-1", True, Money(Decimal("12"), "CNY"), NOW)
    assert [type(e) for e in new] == [
        ev.ExchangeAnswered,
        ev.ReturnShippingCharged,
        ev.ItemUnavailable,
    ]


@pytest.mark.rule("R28")
def test_R28_feedback_is_left_once() -> None:
    order = order_in(OrderStatus.COMPLETED)
    order.apply(order.leave_feedback(4, "fast", NOW)[0])
    with pytest.raises(InvalidTransitionError, match="already"):
        order.leave_feedback(5, "again", NOW)
    with pytest.raises(ValidationError):
        order_in(OrderStatus.COMPLETED).leave_feedback(6, "", NOW)
