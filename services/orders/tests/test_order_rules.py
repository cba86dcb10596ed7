"""Order rules, on the pure domain model (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.orders.domain import events as ev
from services.orders.domain.order import Order, OrderStatus
from shared.events.errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.money import Money

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ITEM = ev.OrderedItem(
    "itm-1",
    "https://item.taobao.com/item.htm?id=1",
    "Tote",
    2,
    Money(Decimal("45.50"), "CNY"),
    Money(Decimal("8.00"), "CNY"),
)


def _order(*history: object) -> Order:
    placed = ev.OrderPlaced("ord-1", "cus-1", [ITEM], "FR", "EMS", NOW)
    return Order.replay("ord-1", [placed, *history])


def _shipped() -> Order:
    return _order(
        ev.FirstBillingPaid("ord-1", "b1", NOW),
        ev.ItemsInspected("ord-1", "cus-1", [ev.InspectedItem("itm-1", 2)], "FR", "EMS", NOW),
        ev.SecondBillingIssued("ord-1", "b2", Money(Decimal("20"), "EUR"), NOW),
        ev.SecondBillingPaid("ord-1", "b2", NOW),
        ev.OrderShipped("ord-1", ["EE1CN"], NOW),
    )


@pytest.mark.rule("R15")
def test_R15_the_customer_cancels_before_the_first_billing_is_paid() -> None:
    [cancelled] = _order().cancel("customer_request", NOW)
    assert isinstance(cancelled, ev.OrderCancelled)


@pytest.mark.rule("R15")
def test_R15_the_customer_cannot_cancel_once_the_first_billing_is_paid() -> None:
    with pytest.raises(InvalidTransitionError, match="cannot cancel"):
        _order(ev.FirstBillingPaid("ord-1", "b1", NOW)).cancel("customer_request", NOW)


def test_an_unknown_order_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        Order("ord-x").cancel("customer_request", NOW)


def test_inspection_must_cover_every_item_of_the_order() -> None:
    order = _order(ev.FirstBillingPaid("ord-1", "b1", NOW))
    with pytest.raises(ValidationError, match="unknown items"):
        order.inspect([ev.InspectedItem("itm-9", 1)], NOW)
    [inspected] = order.inspect([ev.InspectedItem("itm-1", 2, 640)], NOW)
    assert isinstance(inspected, ev.ItemsInspected)


def test_inspection_before_payment_is_an_impossible_transition() -> None:
    with pytest.raises(InvalidTransitionError):
        _order().inspect([ev.InspectedItem("itm-1", 2)], NOW)


@pytest.mark.rule("R23")
@pytest.mark.rule("R24")
def test_R23_R24_a_good_reception_report_completes_the_order() -> None:
    reported, completed = _shipped().report_reception(True, "", NOW)
    assert isinstance(reported, ev.ReceptionReported)
    assert isinstance(completed, ev.OrderCompleted) and completed.reason == "reception_reported"


@pytest.mark.rule("R23")
def test_R23_a_problem_report_does_not_complete_the_order() -> None:
    assert [type(e) for e in _shipped().report_reception(False, "broken mug", NOW)] == [
        ev.ReceptionReported
    ]


@pytest.mark.rule("R24")
def test_R24_an_order_completes_by_itself_only_while_shipped() -> None:
    [completed] = _shipped().complete_without_report(NOW)
    assert completed.reason == "no_report_in_30_days"  # type: ignore[attr-defined]
    assert _order().complete_without_report(NOW) == []
    order = _shipped()
    for event in order.report_reception(True, "", NOW):
        order.apply(event)
    assert order.status is OrderStatus.COMPLETED
    assert order.complete_without_report(NOW) == []
