"""Every transition of the order and item tables, allowed and refused (pure domain)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.domain.status import (
    ITEM_TRANSITIONS,
    ORDER_TRANSITIONS,
    ItemStatus,
    OrderStatus,
)
from services.orders.tests.builders import NOW, order_in, order_with_item
from shared.domain_errors import InvalidTransitionError
from shared.money import Money

Act = Callable[[Order], list[object]]


def _last_item_purchased(o: Order) -> list[object]:
    for item in o.remaining:
        if item.status is ItemStatus.PURCHASING and item.item_id != "itm-2":
            o.apply(o.mark_purchased(item.item_id, NOW)[0])
    return o.mark_purchased("itm-2", NOW)


def _last_item_inspected(o: Order) -> list[object]:
    if o.status is OrderStatus.PURCHASING:
        # itm-1 goes all the way while itm-2 is still being bought; then itm-2 turns out
        # unavailable: every remaining item is inspected.
        for decide in (o.mark_purchased, o.record_arrival):
            o.apply(decide("itm-1", NOW)[0])
        o.apply(o.inspect_item("itm-1", 2, True, ["p1"], 400, NOW)[0])
        assert o.status is OrderStatus.PURCHASING
        return o.mark_unavailable("itm-2", "sold out", NOW)
    for item in list(o.remaining):
        if item.status is ItemStatus.PURCHASED:
            o.apply(o.record_arrival(item.item_id, NOW)[0])
    o.apply(o.inspect_item("itm-1", 2, True, ["p1"], 400, NOW)[0])
    return o.inspect_item("itm-2", 2, True, ["p2"], 400, NOW)


def _exchange_accepted(o: Order) -> list[object]:
    o.apply(o.open_exchange("itm-1", "exchange", NOW)[0])
    return o.answer_exchange("itm-1", True, None, NOW)


def _no_item_left(o: Order) -> list[object]:
    for event in o.mark_unavailable("itm-1", "sold out", NOW):
        o.apply(event)
    return o.mark_unavailable("itm-2", "sold out", NOW)


EUR = Money(Decimal("30"), "EUR")
# action -> what it does; lenient actions (consumed events, timers) return [] when refused.
ORDER_ACTS: dict[str, tuple[Act, bool]] = {
    "cancel by customer (R15)": (lambda o: o.cancel("customer_request", NOW), False),
    "auto-cancel 7 days after the estimate (R16)": (lambda o: o.auto_cancel(NOW), True),
    "change items before payment (R17)": (lambda o: o.change_items({"itm-2": 1}, NOW), False),
    "1st billing paid": (lambda o: o.record_first_payment("b1", NOW), True),
    "every remaining item purchased": (_last_item_purchased, False),
    "every remaining item inspected": (_last_item_inspected, False),
    "an exchange accepted (R19)": (_exchange_accepted, False),
    "mark an item unavailable (R20)": (lambda o: o.mark_unavailable("itm-2", "gone", NOW), False),
    "no item left (R20)": (_no_item_left, False),
    "cancel by staff: nothing purchasable or forwardable (R25)": (
        lambda o: o.cancel("staff", NOW, by_staff=True),
        False,
    ),
    "2nd billing issued or revised": (lambda o: o.record_second_billing("b2", EUR, NOW), True),
    "shipped": (lambda o: [*_pay_second(o), *o.record_shipment(["EE1CN"], NOW)], True),
    "reception reported, all well (R23)": (lambda o: o.report_reception(True, "", NOW), False),
    "reception reported, a problem (R23)": (
        lambda o: o.report_reception(False, "dent", NOW),
        False,
    ),
    "30 days after shipment (R24)": (lambda o: o.complete_without_report(NOW), True),
    "leave feedback (R28)": (lambda o: o.leave_feedback(5, "great", NOW), False),
    "check inspection photos (R18)": (lambda o: o.confirm_inspection_photos(NOW), False),
}


def _pay_second(o: Order) -> list[object]:
    for event in o.record_second_payment("b2", NOW):
        o.apply(event)
    return []


def test_every_order_action_of_the_table_is_covered() -> None:
    assert set(ORDER_ACTS) == set(ORDER_TRANSITIONS)


def _order_cases() -> list[tuple[str, OrderStatus]]:
    return [(action, status) for action in ORDER_TRANSITIONS for status in OrderStatus]


@pytest.mark.parametrize(
    ("action", "status"),
    _order_cases(),
    ids=[f"{a.split(' (')[0]}-from-{s.value}" for a, s in _order_cases()],
)
def test_order_transition_allowed_or_refused_as_the_table_says(
    action: str, status: OrderStatus
) -> None:
    sources, target = ORDER_TRANSITIONS[action]
    act, lenient = ORDER_ACTS[action]
    order = order_in(status)
    if status in sources:
        new = act(order)
        assert new, f"{action} from {status} decided nothing"
        for event in new:
            order.apply(event)
        assert order.status is (target or status)
    elif lenient:
        assert act(order) == []
    else:
        with pytest.raises(InvalidTransitionError):
            act(order)


ITEM_ACTS: dict[str, tuple[Act, str]] = {
    "change quantity (R17)": (lambda o: o.change_items({"itm-1": 1}, NOW), "exchange"),
    "cancel item (R17)": (lambda o: o.change_items({"itm-1": 0}, NOW), "exchange"),
    "set purchase condition (R13)": (
        lambda o: o.set_purchase_condition("itm-1", "red?", NOW),
        "exchange",
    ),
    "record seller confirmation (R13)": (
        lambda o: o.record_seller_confirmation("itm-1", "yes", NOW),
        "exchange",
    ),
    "mark purchased": (lambda o: o.mark_purchased("itm-1", NOW), "exchange"),
    "mark unavailable (R20)": (lambda o: o.mark_unavailable("itm-1", "gone", NOW), "exchange"),
    "record arrival": (lambda o: o.record_arrival("itm-1", NOW), "exchange"),
    "inspect (R18)": (lambda o: o.inspect_item("itm-1", 2, True, ["p"], None, NOW), "exchange"),
    "open exchange or return (R19)": (
        lambda o: o.open_exchange("itm-1", "exchange", NOW),
        "exchange",
    ),
    "seller refuses exchange or return (R19)": (
        lambda o: o.answer_exchange("itm-1", False, None, NOW),
        "exchange",
    ),
    "seller accepts exchange (R19)": (
        lambda o: o.answer_exchange("itm-1", True, None, NOW),
        "exchange",
    ),
    "seller accepts return (R19)": (
        lambda o: o.answer_exchange("itm-1", True, None, NOW),
        "return",
    ),
}
# These two follow the whole order and are proven by the order table above.
FOLLOW_THE_ORDER = {"1st billing paid", "order shipped"}


def test_every_item_action_of_the_table_is_covered() -> None:
    assert set(ITEM_ACTS) | FOLLOW_THE_ORDER == set(ITEM_TRANSITIONS)


def _item_cases() -> list[tuple[str, ItemStatus]]:
    return [(a, s) for a in ITEM_ACTS for s in ItemStatus]


@pytest.mark.parametrize(
    ("action", "status"),
    _item_cases(),
    ids=[f"{a.split(' (')[0]}-from-{s.value}" for a, s in _item_cases()],
)
def test_item_transition_allowed_or_refused_as_the_table_says(
    action: str, status: ItemStatus
) -> None:
    sources, target = ITEM_TRANSITIONS[action]
    act, kind = ITEM_ACTS[action]
    order = order_with_item(status, exchange_kind=kind)
    if status in sources:
        for event in act(order):
            order.apply(event)
        assert order.items["itm-1"].status is (target or status)
    else:
        with pytest.raises(InvalidTransitionError):
            act(order)


def test_the_service_readme_shows_the_enforced_table() -> None:
    from pathlib import Path

    from services.orders.domain.status import markdown_table

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert markdown_table() in readme


__all__ = ["ev"]
