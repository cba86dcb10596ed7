"""Orders in every status, built from events (test data for the domain tests)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.domain.status import ItemStatus, OrderStatus

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ORDER_ID = "ord-1"


def _item(n: int) -> ev.OrderedItem:
    from shared.money import Money

    return ev.OrderedItem(
        f"itm-{n}",
        f"https://item.taobao.com/item.htm?id={n}",
        f"Item {n}",
        2,
        Money(Decimal("45.50"), "CNY"),
        Money(Decimal("8.00"), "CNY"),
    )


def history(status: OrderStatus, exchange_kind: str = "exchange") -> list[object]:
    """Events that bring a two-item order to `status` (itm-1 carries a confirmed condition)."""
    from shared.money import Money

    o = ORDER_ID
    events: list[object] = [
        ev.OrderPlaced(o, "cus-1", [_item(1), _item(2)], "FR", "EMS", NOW),
        ev.PurchaseConditionSet(o, "itm-1", "blue one please", NOW),
        ev.SellerConfirmationRecorded(o, "itm-1", "blue in stock", NOW),
        ev.FirstBillingIssued(o, "ord-1-1", Money(Decimal("20"), "EUR"), NOW),
    ]
    if status is OrderStatus.APPLIED:
        return events
    if status is OrderStatus.CANCELLED:
        return [*events, ev.OrderCancelled(o, "cus-1", "customer_request", NOW)]
    events.append(ev.FirstBillingPaid(o, "ord-1-1", NOW))
    if status is OrderStatus.PURCHASING:
        return events
    events += [ev.ItemPurchased(o, "itm-1", NOW), ev.ItemPurchased(o, "itm-2", NOW)]
    if status is OrderStatus.AWAITING_ARRIVAL:
        return events
    for item in ("itm-1", "itm-2"):
        events += [
            ev.ItemArrived(o, item, NOW),
            ev.ItemInspected(o, item, 2, True, [f"pho-{item}"], 500, NOW),
        ]
    events.append(
        ev.ItemsInspected(
            o,
            "cus-1",
            [ev.InspectedItem("itm-1", 2, 500), ev.InspectedItem("itm-2", 2, 500)],
            "FR",
            "EMS",
            NOW,
        )
    )
    if status is OrderStatus.INSPECTED:
        return events
    events.append(ev.SecondBillingIssued(o, "ord-1-2", Money(Decimal("30"), "EUR"), NOW))
    if status is OrderStatus.AWAITING_SECOND_PAYMENT:
        return events
    events += [ev.SecondBillingPaid(o, "ord-1-2", NOW), ev.OrderShipped(o, ["EE1CN"], NOW)]
    if status is OrderStatus.SHIPPED:
        return events
    return [*events, ev.OrderCompleted(o, "cus-1", "reception_reported", NOW)]


def order_in(status: OrderStatus) -> Order:
    """A two-item order in `status`."""
    order = Order.replay(ORDER_ID, history(status))
    assert order.status is status, (order.status, status)
    return order


def order_with_item(status: ItemStatus, exchange_kind: str = "exchange") -> Order:
    """An order whose itm-1 is in `status`."""
    o = ORDER_ID
    base = {
        ItemStatus.PRE_PAYMENT: history(OrderStatus.APPLIED),
        ItemStatus.PURCHASING: history(OrderStatus.PURCHASING),
        ItemStatus.PURCHASED: [*history(OrderStatus.PURCHASING), ev.ItemPurchased(o, "itm-1", NOW)],
        ItemStatus.ARRIVED: [
            *history(OrderStatus.PURCHASING),
            ev.ItemPurchased(o, "itm-1", NOW),
            ev.ItemArrived(o, "itm-1", NOW),
        ],
        ItemStatus.INSPECTED: history(OrderStatus.INSPECTED),
        ItemStatus.EXCHANGE_OR_RETURN: [
            *history(OrderStatus.INSPECTED),
            ev.ExchangeOpened(o, "itm-1", exchange_kind, NOW),
        ],
        ItemStatus.CANCELLED: [
            *history(OrderStatus.PURCHASING),
            ev.ItemUnavailable(
                o,
                "cus-1",
                "itm-1",
                2,
                _item(1).unit_price,
                _item(1).domestic_shipping,
                "sold out",
                NOW,
            ),
        ],
        ItemStatus.SHIPPED: history(OrderStatus.SHIPPED),
    }[status]
    order = Order.replay(ORDER_ID, base)
    assert order.items["itm-1"].status is status, (order.items["itm-1"].status, status)
    return order
