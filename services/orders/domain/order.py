"""The order aggregate: its state is a fold of its events; commands decide new events.

Transitions (the full table with items is in the service README):
applied -(1st billing paid)-> purchasing -(inspected)-> inspected
-(2nd billing issued)-> awaiting_second_payment -(shipped, 2nd billing paid)-> shipped
-(reception report, or 30 days)-> completed; applied -(cancel)-> cancelled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.orders.domain import events as ev
from shared.events.errors import InvalidTransitionError, NotFoundError, ValidationError

AUTO_COMPLETE_AFTER = timedelta(days=30)  # R24
AUTO_CANCEL_AFTER = timedelta(days=7)  # R16


class OrderStatus(StrEnum):
    APPLIED = "applied"
    PURCHASING = "purchasing"
    INSPECTED = "inspected"
    AWAITING_SECOND_PAYMENT = "awaiting_second_payment"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass
class Order:
    """What an order's history adds up to."""

    order_id: str
    customer_id: str = ""
    status: OrderStatus | None = None
    items: list[ev.OrderedItem] = field(default_factory=list)
    destination_country: str = ""
    shipping_method: str = ""
    second_billing_paid: bool = False
    version: int = 0

    @classmethod
    def replay(cls, order_id: str, history: Iterable[object]) -> Order:
        """The order after `history`."""
        order = cls(order_id)
        for event in history:
            order.apply(event)
        return order

    @property
    def exists(self) -> bool:
        """False until OrderPlaced."""
        return self.status is not None

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        self.version += 1
        match event:
            case ev.OrderPlaced():
                self.customer_id = event.customer_id
                self.items = list(event.items)
                self.destination_country = event.destination_country
                self.shipping_method = event.shipping_method
                self.status = OrderStatus.APPLIED
            case ev.FirstBillingPaid():
                self.status = OrderStatus.PURCHASING
            case ev.ItemsInspected():
                self.status = OrderStatus.INSPECTED
            case ev.SecondBillingIssued():
                self.status = OrderStatus.AWAITING_SECOND_PAYMENT
            case ev.SecondBillingPaid():
                self.second_billing_paid = True
            case ev.OrderShipped():
                self.status = OrderStatus.SHIPPED
            case ev.OrderCompleted():
                self.status = OrderStatus.COMPLETED
            case ev.OrderCancelled():
                self.status = OrderStatus.CANCELLED

    def require(self, *allowed: OrderStatus, action: str) -> None:
        """Refuse `action` unless the order is in one of `allowed`."""
        if not self.exists:
            raise NotFoundError(f"order {self.order_id} not found")
        if self.status not in allowed:
            names = ", ".join(s.value for s in allowed)
            current = self.status.value if self.status else "unknown"
            raise InvalidTransitionError(
                f"cannot {action}: order {self.order_id} is {current} (allowed only when {names})"
            )

    # --- decisions --------------------------------------------------------------------------
    def inspect(self, items: list[ev.InspectedItem], now: datetime) -> list[object]:
        """Staff recorded the inspection of every item."""
        self.require(OrderStatus.PURCHASING, action="record the inspection")
        known = {i.item_id for i in self.items}
        unknown = {i.item_id for i in items} - known
        if unknown:
            raise ValidationError(f"unknown items: {sorted(unknown)}")
        missing = known - {i.item_id for i in items}
        if missing:
            raise ValidationError(f"items not inspected: {sorted(missing)}")
        return [
            ev.ItemsInspected(
                order_id=self.order_id,
                customer_id=self.customer_id,
                items=items,
                destination_country=self.destination_country,
                shipping_method=self.shipping_method,
                inspected_at=now,
            )
        ]

    def report_reception(self, all_well: bool, comment: str, now: datetime) -> list[object]:
        """The customer reports reception; all well completes the order (R23, R24)."""
        self.require(OrderStatus.SHIPPED, action="report reception")
        reported = ev.ReceptionReported(self.order_id, self.customer_id, all_well, comment, now)
        if not all_well:
            return [reported]
        return [
            reported,
            ev.OrderCompleted(self.order_id, self.customer_id, "reception_reported", now),
        ]

    def complete_without_report(self, now: datetime) -> list[object]:
        """30 days after shipment without a report, the order completes (R24)."""
        if self.status is not OrderStatus.SHIPPED:
            return []
        return [ev.OrderCompleted(self.order_id, self.customer_id, "no_report_in_30_days", now)]

    def cancel(self, reason: str, now: datetime) -> list[object]:
        """Cancel before the 1st billing is paid, never after (R15)."""
        self.require(OrderStatus.APPLIED, action="cancel")
        return [ev.OrderCancelled(self.order_id, self.customer_id, reason, now)]
