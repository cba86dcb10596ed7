"""The shipping service's handlers: one plain function per command and per consumed event."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from services.shipping import rating
from services.shipping.domain.shipment import (
    EVENT_TYPES,
    Parcel,
    Shipment,
    ShipmentOpened,
)
from shared.domain_errors import NotFoundError
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent
from shared.events.repository import Repository, meta
from shared.events.store import Transaction
from shared.runtime import Context, EventHandler

CODEC = EventCodec(EVENT_TYPES, CONTRACTS)
SHIPMENTS: Repository[Shipment] = Repository("shipment", CODEC, Shipment.replay)


def on_items_inspected(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """The order is ready to pack."""
    data = event.data
    shipment = SHIPMENTS.get(tx, data["order_id"])
    opened = ShipmentOpened(
        data["order_id"],
        data["customer_id"],
        data["shipping_method"],
        data["destination_country"],
        ctx.clock.now(),
    )
    SHIPMENTS.save(tx, data["order_id"], shipment, shipment.open(opened), event.metadata())


def on_billing_issued(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A 2nd billing revised down to what was already paid is settled (BillingIssued v2):
    shipping is allowed as after the last payment."""
    data = event.data
    if data["kind"] == "second" and data["settled"]:
        _second_billing_settled(tx, event, data["issued_at"], "billing")


def on_payment_received(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A settled 2nd billing allows shipping."""
    data = event.data
    if data["kind"] == "second" and data["billing_settled"]:
        _second_billing_settled(tx, event, data["received_at"], "payment")


def _second_billing_settled(tx: Transaction, event: IncomingEvent, at: datetime, what: str) -> None:
    """Record the 2nd billing of `event` paid at `at`; `what` (a billing or a payment) waits
    for the quote if it came first."""
    data = event.data
    shipment = SHIPMENTS.get(tx, data["order_id"])
    if shipment.quote is None:
        raise NotYetApplicableError(f"{what} before the quote", event.envelope.ordering_key)
    SHIPMENTS.save(
        tx,
        data["order_id"],
        shipment,
        shipment.record_payment(data["billing_id"], at),
        event.metadata(),
    )


def pack_and_quote(
    ctx: Context, order_id: str, parcels: list[tuple[Parcel, list[str]]], actor: str
) -> Shipment:
    """Staff record the parcels; the fee is quoted with the current rates (ShippingQuoted)."""
    quote_id = f"quo-{uuid.uuid4().hex[:12]}"

    def decision(tx: Transaction, shipment: Shipment) -> list[object]:
        if shipment.opened is None:
            raise NotFoundError(f"no shipment for order {order_id}")
        rates = rating.current_rates(ctx, tx, shipment.method)
        return shipment.quote_parcels(quote_id, parcels, rates, ctx.clock.now())

    return SHIPMENTS.decide(ctx.store, order_id, decision, meta(actor, order_id))


def change_method(ctx: Context, order_id: str, method: str, actor: str) -> Shipment:
    """Staff change the shipping method at the customer's request (before the quote)."""

    def decision(tx: Transaction, shipment: Shipment) -> list[object]:
        rating.current_rates(ctx, tx, method)  # the method must exist
        return shipment.change_method(method, actor, ctx.clock.now())

    return SHIPMENTS.decide(ctx.store, order_id, decision, meta(actor, order_id))


def ship(ctx: Context, order_id: str, tracking: dict[str, tuple[str, str]], actor: str) -> None:
    """Staff ship the parcels (refused while the 2nd billing is unpaid)."""
    SHIPMENTS.decide(
        ctx.store, order_id, lambda tx, s: s.ship(tracking, ctx.clock.now()), meta(actor, order_id)
    )


# Each consumed integration event and its handler (its queue bindings follow from this).
EVENT_HANDLERS: Mapping[str, EventHandler] = {
    "ItemsInspected": on_items_inspected,
    "PaymentReceived": on_payment_received,
    "BillingIssued": on_billing_issued,
}
