"""The shipment aggregate of one order: ready to pack, quoted, paid, shipped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.shipping.domain.ratebook import VersionedTable
from services.shipping.domain.rates import Dimensions, NotCarriedError, charge
from services.shipping.domain.zones import zone_of
from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.events.aggregate import EventSourced
from shared.money import Money


@dataclass(frozen=True)
class ShipmentOpened:
    order_id: str
    customer_id: str
    method: str
    destination_country: str
    opened_at: datetime


@dataclass(frozen=True)
class MethodChanged:
    order_id: str
    method: str
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class Parcel:
    parcel_id: str
    weight_grams: int
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class ParcelCharge:
    parcel_id: str
    items: list[str]
    chargeable_grams: int
    fee: Money


@dataclass(frozen=True)
class QuoteCalculated:
    """How a quote was priced: the rate table version, the zone and each parcel's charge."""

    quote_id: str
    order_id: str
    method: str
    rate_version: int
    zone: int
    charges: list[ParcelCharge]
    transit_days_min: int
    transit_days_max: int


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


EVENT_TYPES: tuple[type, ...] = (
    ShipmentOpened,
    MethodChanged,
    QuoteCalculated,
    ShippingQuoted,
    ShippingPaid,
    Shipped,
)
TRACKING_URL = "https://t.17track.net/en#nums={}"


@dataclass
class Shipment(EventSourced):
    """What a shipment's history adds up to."""

    order_id: str
    opened: ShipmentOpened | None = None
    method: str = ""
    calculation: QuoteCalculated | None = None
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
                self.method = event.method
            case MethodChanged():
                # A new method needs a new quote: the order is to pack again.
                self.method = event.method
                self.quote = None
                self.calculation = None
            case QuoteCalculated():
                self.calculation = event
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

    def change_method(self, method: str, actor: str, now: datetime) -> list[object]:
        """Staff change the method at the customer's request, until the fee is paid; a quote
        made with the old method is dropped and the parcels are quoted again."""
        self._require_open()
        if self.paid or self.shipped:
            raise InvalidTransitionError(
                f"order {self.order_id}: the shipping fee is already paid; the method stays"
            )
        return [] if method == self.method else [MethodChanged(self.order_id, method, actor, now)]

    def quote_parcels(
        self,
        quote_id: str,
        parcels: list[tuple[Parcel, list[str]]],
        rates: VersionedTable,
        now: datetime,
    ) -> list[object]:
        """Staff packed the parcels: quote the fee with the method's current rates (R21)."""
        opened = self._require_open()
        if self.paid or self.shipped:
            raise InvalidTransitionError(
                f"order {self.order_id}: the shipping fee is already paid; it cannot change"
            )
        if rates.table.method != self.method:
            raise ValidationError(f"the rates are for {rates.table.method}, not {self.method}")
        zone = zone_of(opened.destination_country)
        if zone is None:
            raise ValidationError(f"no shipping to {opened.destination_country}")
        charges = []
        for parcel, items in parcels:
            dims = Dimensions(
                parcel.weight_grams, parcel.length_cm, parcel.width_cm, parcel.height_cm
            )
            try:
                found = charge(dims, rates.table, zone)
            except NotCarriedError as exc:
                raise ValidationError(f"parcel {parcel.parcel_id}: {exc}") from exc
            charges.append(
                (ParcelCharge(parcel.parcel_id, items, found.chargeable_grams, found.fee), found)
            )
        fee = sum((c.fee for c, _ in charges), Money.zero(rates.table.currency))
        calculation = QuoteCalculated(
            quote_id,
            self.order_id,
            self.method,
            rates.version,
            zone,
            [c for c, _ in charges],
            max(found.transit_days_min for _, found in charges),
            max(found.transit_days_max for _, found in charges),
        )
        quoted = ShippingQuoted(
            quote_id,
            self.order_id,
            opened.customer_id,
            self.method,
            [p for p, _ in parcels],
            fee,
            now,
        )
        return [calculation, quoted]

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
        numbers = [number for _, number in tracking.values()]
        if len(set(numbers)) != len(numbers):
            raise ValidationError("each parcel needs its own tracking number")
        parcels = [
            ShippedParcel(pid, carrier, number, TRACKING_URL.format(number))
            for pid, (carrier, number) in sorted(tracking.items())
        ]
        return [Shipped(self.order_id, opened.customer_id, parcels, now)]
