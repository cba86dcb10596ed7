"""Events of the order stream. Those named like an integration contract are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shared.money import Money


@dataclass(frozen=True)
class OrderedItem:
    item_id: str
    url: str
    title: str
    quantity: int
    unit_price: Money
    domestic_shipping: Money
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderPlaced:
    order_id: str
    customer_id: str
    items: list[OrderedItem]
    destination_country: str
    shipping_method: str
    placed_at: datetime


@dataclass(frozen=True)
class FirstBillingIssued:
    order_id: str
    billing_id: str
    amount: Money
    issued_at: datetime


@dataclass(frozen=True)
class FirstBillingPaid:
    order_id: str
    billing_id: str
    paid_at: datetime


@dataclass(frozen=True)
class InspectedItem:
    item_id: str
    quantity: int
    weight_grams: int | None = None


@dataclass(frozen=True)
class ItemsInspected:
    order_id: str
    customer_id: str
    items: list[InspectedItem]
    destination_country: str
    shipping_method: str
    inspected_at: datetime


@dataclass(frozen=True)
class SecondBillingIssued:
    order_id: str
    billing_id: str
    amount: Money
    issued_at: datetime


@dataclass(frozen=True)
class SecondBillingPaid:
    order_id: str
    billing_id: str
    paid_at: datetime


@dataclass(frozen=True)
class OrderShipped:
    order_id: str
    tracking_numbers: list[str]
    shipped_at: datetime


@dataclass(frozen=True)
class ReceptionReported:
    order_id: str
    customer_id: str
    all_well: bool
    comment: str
    reported_at: datetime


@dataclass(frozen=True)
class OrderCompleted:
    order_id: str
    customer_id: str
    reason: str
    completed_at: datetime


@dataclass(frozen=True)
class OrderCancelled:
    order_id: str
    customer_id: str
    reason: str
    cancelled_at: datetime


EVENT_TYPES: tuple[type, ...] = (
    OrderPlaced,
    FirstBillingIssued,
    FirstBillingPaid,
    ItemsInspected,
    SecondBillingIssued,
    SecondBillingPaid,
    OrderShipped,
    ReceptionReported,
    OrderCompleted,
    OrderCancelled,
)

__all__ = ["EVENT_TYPES", "Decimal"]
