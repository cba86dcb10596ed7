"""Events of the order stream. Those named like an integration contract are published."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
class DeliveryAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str = ""
    phone: str = ""


# --- integration events (contracts in shared/events/contracts) --------------------------------
@dataclass(frozen=True)
class OrderPlaced:
    order_id: str
    customer_id: str
    items: list[OrderedItem]
    destination_country: str
    shipping_method: str
    placed_at: datetime


@dataclass(frozen=True)
class OrderItemsChanged:
    """Items cancelled or quantities changed before payment (R17): billing recalculates."""

    order_id: str
    customer_id: str
    items: list[OrderedItem]  # every remaining item with its current quantity
    changed_at: datetime


@dataclass(frozen=True)
class ItemUnavailable:
    """An item that cannot be purchased or forwarded (R20): billing refunds what was paid."""

    order_id: str
    customer_id: str
    item_id: str
    quantity: int
    unit_price: Money
    domestic_shipping: Money
    reason: str
    at: datetime


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
class ReturnShippingCharged:
    """Local shipping cost of an exchange or return, charged with the 2nd billing (R19)."""

    order_id: str
    customer_id: str
    item_id: str
    cost: Money
    at: datetime


@dataclass(frozen=True)
class ReceptionReported:
    order_id: str
    customer_id: str
    all_well: bool
    comment: str
    reported_at: datetime
    photo_ids: list[str] = field(default_factory=list)


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


# --- internal events ------------------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryDetailsGiven:
    order_id: str
    address: DeliveryAddress
    note: str


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
class PurchaseConditionSet:
    order_id: str
    item_id: str
    text: str
    at: datetime


@dataclass(frozen=True)
class SellerConfirmationRecorded:
    order_id: str
    item_id: str
    answer: str
    at: datetime


@dataclass(frozen=True)
class ItemPurchased:
    order_id: str
    item_id: str
    at: datetime


@dataclass(frozen=True)
class ItemArrived:
    order_id: str
    item_id: str
    at: datetime


@dataclass(frozen=True)
class ItemInspected:
    order_id: str
    item_id: str
    checked_quantity: int
    type_matches: bool
    photo_ids: list[str]
    weight_grams: int | None
    at: datetime


@dataclass(frozen=True)
class ExchangeOpened:
    order_id: str
    item_id: str
    kind: str  # "exchange" | "return"
    at: datetime


@dataclass(frozen=True)
class ExchangeAnswered:
    order_id: str
    item_id: str
    accepted: bool
    at: datetime


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
class InspectionPhotosChecked:
    """The customer looked at the inspection photos and found them right (R18)."""

    order_id: str
    customer_id: str
    at: datetime


@dataclass(frozen=True)
class FeedbackLeft:
    order_id: str
    rating: int
    text: str
    at: datetime


EVENT_TYPES: tuple[type, ...] = (
    OrderPlaced,
    OrderItemsChanged,
    ItemUnavailable,
    ItemsInspected,
    ReturnShippingCharged,
    ReceptionReported,
    OrderCompleted,
    OrderCancelled,
    DeliveryDetailsGiven,
    FirstBillingIssued,
    FirstBillingPaid,
    PurchaseConditionSet,
    SellerConfirmationRecorded,
    ItemPurchased,
    ItemArrived,
    ItemInspected,
    ExchangeOpened,
    ExchangeAnswered,
    SecondBillingIssued,
    SecondBillingPaid,
    OrderShipped,
    FeedbackLeft,
    InspectionPhotosChecked,
)
