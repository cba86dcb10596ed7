"""The shipment aggregate of one order: ready to pack, quoted, paid, shipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.shipping.domain.rates import DEFAULT_RATES, Dimensions, parcel_fee
from shared.events.aggregate import EventSourced
from shared.events.errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.money import Money


@dataclass(frozen=True)
class ShipmentOpened:
    order_id: str
    customer_id: str
    method: str
    destination_country: str
    opened_at: datetime


@dataclass(frozen=True)
class Parcel:
    parcel_id: str
    weight_grams: int
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class ShippingQuoted:
    quote_id: str
    order_id: str
    customer_id: str
    method: str
    parcels: list[Parcel]
    fee: Money
    quoted_at: datetime


@dataclass(frozen=True)
class ShippingPaid:
    order_id: str
    billing_id: str
    paid_at: datetime


@dataclass(frozen=True)
class ShippedParcel:
    parcel_id: str
    carrier: str
    tracking_number: str
    tracking_url: str


@dataclass(frozen=True)
class Shipped:
    order_id: str
    customer_id: str
    parcels: list[ShippedParcel]
    shipped_at: datetime


EVENT_TYPES: tuple[type, ...] = (ShipmentOpened, ShippingQuoted, ShippingPaid, Shipped)
TRACKING_URL = "https://t.17track.net/en#nums={}"


@dataclass
class Shipment(EventSourced):
    """What a shipment's history adds up to."""

    order_id: str
    opened: ShipmentOpened | None = None
    quote: ShippingQuoted | None = None
    paid: bool = False
    shipped: bool = False
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        match event:
            case ShipmentOpened():
                self.opened = event
            case ShippingQuoted():
                self.quote = event
            case ShippingPaid():
                self.paid = True
            case Shipped():
                self.shipped = True

    def _require_open(self) -> ShipmentOpened:
        if self.opened is None:
            raise NotFoundError(f"no shipment for order {self.order_id}")
        return self.opened

    def open(self, opened: ShipmentOpened) -> list[object]:
        """Ready to pack (once)."""
        return [] if self.opened else [opened]

    def quote_parcels(self, quote_id: str, parcels: list[Parcel], now: datetime) -> list[object]:
        """Staff packed the parcels: quote the international fee (R21)."""
        opened = self._require_open()
        if self.paid or self.shipped:
            raise InvalidTransitionError(f"order {self.order_id}: shipping already paid")
        rate = DEFAULT_RATES.get(opened.method)
        if rate is None:
            raise ValidationError(f"unknown shipping method {opened.method}")
        try:
            fees = [
                parcel_fee(Dimensions(p.weight_grams, p.length_cm, p.width_cm, p.height_cm), rate)
                for p in parcels
            ]
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        fee = sum(fees, Money.zero(rate.first_price.currency))
        return [
            ShippingQuoted(
                quote_id, self.order_id, opened.customer_id, opened.method, parcels, fee, now
            )
        ]

    def record_payment(self, billing_id: str, now: datetime) -> list[object]:
        """The 2nd billing was paid."""
        return [] if self.paid else [ShippingPaid(self.order_id, billing_id, now)]

    def ship(self, tracking: dict[str, tuple[str, str]], now: datetime) -> list[object]:
        """Ship every parcel with its carrier and tracking number (R6); only once paid."""
        opened = self._require_open()
        if self.shipped:
            raise InvalidTransitionError(f"order {self.order_id} already shipped")
        if self.quote is None or not self.paid:
            raise InvalidTransitionError(
                f"order {self.order_id}: the 2nd billing is not paid yet; shipping refused"
            )
        ids = {p.parcel_id for p in self.quote.parcels}
        if set(tracking) != ids:
            raise ValidationError(f"tracking numbers needed for parcels {sorted(ids)}")
        parcels = [
            ShippedParcel(pid, carrier, number, TRACKING_URL.format(number))
            for pid, (carrier, number) in sorted(tracking.items())
        ]
        return [Shipped(self.order_id, opened.customer_id, parcels, now)]
