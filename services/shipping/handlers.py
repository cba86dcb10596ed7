"""The shipping service's handlers: one plain function per command and per consumed event."""

from __future__ import annotations

import uuid

from services.shipping.domain.shipment import (
    EVENT_TYPES,
    Parcel,
    Shipment,
    ShipmentOpened,
)
from shared.events.codec import EventCodec
from shared.events.consumer import Handler, IncomingEvent
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotYetApplicableError
from shared.events.repository import Repository
from shared.events.store import Transaction
from shared.runtime import Context

CODEC = EventCodec(EVENT_TYPES, CONTRACTS)
SHIPMENTS: Repository[Shipment] = Repository("shipment", CODEC, Shipment.replay)


def _meta(actor: str, order_id: str) -> dict[str, str]:
    return {"actor": actor, "ordering_key": order_id, "correlation_id": str(uuid.uuid4())}


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


def on_payment_received(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A settled 2nd billing allows shipping."""
    data = event.data
    if data["kind"] != "second" or not data["billing_settled"]:
        return
    shipment = SHIPMENTS.get(tx, data["order_id"])
    if shipment.quote is None:
        raise NotYetApplicableError("payment before the quote", event.envelope.ordering_key)
    SHIPMENTS.save(
        tx,
        data["order_id"],
        shipment,
        shipment.record_payment(data["billing_id"], data["received_at"]),
        event.metadata(),
    )


def pack_and_quote(ctx: Context, order_id: str, parcels: list[Parcel], actor: str) -> Shipment:
    """Staff record the parcels; the fee is quoted (ShippingQuoted)."""

    def work(tx: Transaction) -> Shipment:
        shipment = SHIPMENTS.get(tx, order_id)
        new = shipment.quote_parcels(f"quo-{uuid.uuid4().hex[:12]}", parcels, ctx.clock.now())
        SHIPMENTS.save(tx, order_id, shipment, new, _meta(actor, order_id))
        return shipment

    return ctx.store.transact(work)


def ship(ctx: Context, order_id: str, tracking: dict[str, tuple[str, str]], actor: str) -> None:
    """Staff ship the parcels (refused while the 2nd billing is unpaid)."""

    def work(tx: Transaction) -> None:
        shipment = SHIPMENTS.get(tx, order_id)
        SHIPMENTS.save(
            tx, order_id, shipment, shipment.ship(tracking, ctx.clock.now()), _meta(actor, order_id)
        )

    ctx.store.transact(work)


def event_handlers(ctx: Context) -> dict[str, Handler]:
    """Routing of consumed integration events to their handlers."""
    return {
        "ItemsInspected": lambda tx, e: on_items_inspected(ctx, tx, e),
        "PaymentReceived": lambda tx, e: on_payment_received(ctx, tx, e),
    }
