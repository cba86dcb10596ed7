"""Checking the inspection photos is a step the customer completes (R18, R2)."""

from __future__ import annotations

import pytest

from services.orders.adapters.projections import next_action
from services.orders.domain import events as ev
from services.orders.domain.status import ItemStatus, OrderStatus
from services.orders.tests.builders import NOW, order_in, order_with_item
from shared.domain_errors import InvalidTransitionError


@pytest.mark.rule("R18", "R2")
def test_R18_the_customer_confirms_the_inspection_photos_of_an_inspected_order() -> None:
    order = order_in(OrderStatus.INSPECTED)
    [checked] = order.confirm_inspection_photos(NOW)
    assert isinstance(checked, ev.InspectionPhotosChecked)
    assert checked.order_id == order.order_id and checked.customer_id == "cus-1"
    order.apply(checked)
    assert order.photos_checked and order.status is OrderStatus.INSPECTED


@pytest.mark.rule("R18")
def test_R18_photos_checked_twice_records_it_once() -> None:
    order = order_in(OrderStatus.INSPECTED)
    order.apply(order.confirm_inspection_photos(NOW)[0])
    assert order.confirm_inspection_photos(NOW) == []


@pytest.mark.rule("R18")
@pytest.mark.parametrize("status", [OrderStatus.APPLIED, OrderStatus.PURCHASING])
def test_R18_photos_cannot_be_checked_before_the_inspection(status: OrderStatus) -> None:
    with pytest.raises(InvalidTransitionError, match="inspect"):
        order_in(status).confirm_inspection_photos(NOW)


@pytest.mark.rule("R18")
def test_R18_new_photos_after_an_exchange_are_to_be_checked_again() -> None:
    order = order_with_item(ItemStatus.INSPECTED)
    order.apply(order.confirm_inspection_photos(NOW)[0])
    order.apply(order.open_exchange("itm-1", "exchange", NOW)[0])
    for event in order.answer_exchange("itm-1", True, None, NOW):
        order.apply(event)
    order.apply(order.record_arrival("itm-1", NOW)[0])
    for event in order.inspect_item("itm-1", 2, True, ["pho-new"], 500, NOW):
        order.apply(event)
    assert order.status is OrderStatus.INSPECTED and not order.photos_checked


@pytest.mark.rule("R2", "R18")
def test_R2_checking_the_photos_is_the_next_action_until_they_are_checked() -> None:
    doc = {"status": "inspected", "first_billing": {"paid": True}}
    assert next_action(doc) == "check_inspection_photos"
    doc["photos_checked_at"] = NOW.isoformat()
    assert next_action(doc) is None
