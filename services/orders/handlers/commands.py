"""Commands of customers and staff on orders: one plain function each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from services.orders.adapters.photos import Photo, save_photos
from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.handlers.common import ORDERS, decide
from shared.domain_errors import ValidationError
from shared.events.repository import meta
from shared.events.store import Transaction
from shared.money import Money
from shared.runtime import Context


@dataclass(frozen=True)
class PlaceOrder:
    customer_id: str
    items: list[ev.OrderedItem]
    address: ev.DeliveryAddress
    shipping_method: str
    note: str = ""


def sealed_address(
    ctx: Context, customer_id: str, address: ev.DeliveryAddress
) -> ev.DeliveryAddress:
    """`address` with every line sealed under the customer's key; the country stays plain
    (billing, shipping and the staff queues read it, and it names no one)."""
    seal = ctx.personal.seal
    return replace(
        address,
        name=seal(customer_id, address.name),
        line1=seal(customer_id, address.line1),
        line2=seal(customer_id, address.line2),
        city=seal(customer_id, address.city),
        postal_code=seal(customer_id, address.postal_code),
        phone=seal(customer_id, address.phone),
    )


def sealed_text(ctx: Context, order: Order, text: str) -> str:
    """A customer's text on `order`, trimmed (the domain's rules read it trimmed: an empty one
    stays empty) and sealed under the order's customer; as it is for an order that does not
    exist (the decision refuses it) or a text already sealed (from another service)."""
    if not order.exists or not order.customer_id:
        return text
    return ctx.personal.seal(order.customer_id, text.strip())


def sealed_photos(ctx: Context, customer_id: str, photos: list[Photo]) -> list[Photo]:
    """The photos' contents sealed under the customer's key (the goods they bought)."""
    return [replace(p, content=ctx.personal.seal_file(customer_id, p.content)) for p in photos]


def place_order(ctx: Context, cmd: PlaceOrder, actor: str) -> str:
    """Open a new order; emits OrderPlaced."""
    order_id = f"ord-{uuid.uuid4().hex[:12]}"
    now = ctx.clock.now()
    placed = ev.OrderPlaced(
        order_id, cmd.customer_id, cmd.items, cmd.address.country, cmd.shipping_method, now
    )
    address = sealed_address(ctx, cmd.customer_id, cmd.address)
    note = ctx.personal.seal(cmd.customer_id, cmd.note)
    details = ev.DeliveryDetailsGiven(order_id, address, note)

    def work(tx: Transaction) -> None:
        ORDERS.save(tx, order_id, Order(order_id), [placed, details], meta(actor, order_id))

    ctx.store.transact(work)
    return order_id


def change_items(
    ctx: Context, order_id: str, quantities: dict[str, int], customer_id: str | None, actor: str
) -> Order:
    """Cancel items or change quantities before payment (R17)."""
    return decide(ctx, order_id, lambda o, now: o.change_items(quantities, now), actor, customer_id)


def set_purchase_condition(
    ctx: Context, order_id: str, item_id: str, text: str, customer_id: str | None, actor: str
) -> Order:
    """'Confirm before purchasing' on a PRE-PAYMENT item (R13)."""
    return decide(
        ctx,
        order_id,
        lambda o, now: o.set_purchase_condition(item_id, sealed_text(ctx, o, text), now),
        actor,
        customer_id,
    )


def cancel_order(ctx: Context, order_id: str, customer_id: str | None, actor: str) -> Order:
    """The customer cancels before payment (R15); staff when nothing can be bought (R25)."""
    by_staff = customer_id is None
    reason = "staff" if by_staff else "customer_request"
    return decide(
        ctx, order_id, lambda o, now: o.cancel(reason, now, by_staff=by_staff), actor, customer_id
    )


def report_reception(
    ctx: Context,
    order_id: str,
    all_well: bool,
    comment: str,
    customer_id: str,
    actor: str,
    photos: list[Photo] | None = None,
) -> Order:
    """The customer's reception report (R23); a problem's pictures commit with it."""
    pictures = photos or []
    ids = [photo.photo_id for photo in pictures]
    return decide(
        ctx,
        order_id,
        lambda o, now: o.report_reception(all_well, sealed_text(ctx, o, comment), now, ids),
        actor,
        customer_id,
        also=lambda tx, o: save_photos(
            tx, order_id, "reception", o.customer_id, sealed_photos(ctx, o.customer_id, pictures)
        ),
    )


def leave_feedback(
    ctx: Context, order_id: str, rating: int, text: str, customer_id: str, actor: str
) -> Order:
    """Feedback on a completed order (R28)."""
    return decide(
        ctx,
        order_id,
        lambda o, now: o.leave_feedback(rating, sealed_text(ctx, o, text), now),
        actor,
        customer_id,
    )


def confirm_inspection_photos(ctx: Context, order_id: str, customer_id: str, actor: str) -> Order:
    """The customer checked the inspection photos (R18); the next action moves on (R2)."""
    return decide(
        ctx, order_id, lambda o, now: o.confirm_inspection_photos(now), actor, customer_id
    )


# --- staff ----------------------------------------------------------------------------------
def record_seller_confirmation(
    ctx: Context, order_id: str, item_id: str, answer: str, actor: str
) -> Order:
    """The seller answered the customer's purchase condition (R13): sealed as the condition
    is, since it answers what the customer wrote."""
    return decide(
        ctx,
        order_id,
        lambda o, now: o.record_seller_confirmation(item_id, sealed_text(ctx, o, answer), now),
        actor,
    )


def mark_purchased(ctx: Context, order_id: str, item_id: str, actor: str) -> Order:
    """Staff bought the item."""
    return decide(ctx, order_id, lambda o, now: o.mark_purchased(item_id, now), actor)


def mark_unavailable(ctx: Context, order_id: str, item_id: str, reason: str, actor: str) -> Order:
    """The item cannot be purchased or forwarded (R20)."""
    return decide(ctx, order_id, lambda o, now: o.mark_unavailable(item_id, reason, now), actor)


def record_arrival(ctx: Context, order_id: str, item_id: str, actor: str) -> Order:
    """The item arrived at the warehouse."""
    return decide(ctx, order_id, lambda o, now: o.record_arrival(item_id, now), actor)


@dataclass(frozen=True)
class InspectItem:
    order_id: str
    item_id: str
    checked_quantity: int
    type_matches: bool
    photos: list[Photo]
    weight_grams: int | None


def inspect_item(ctx: Context, cmd: InspectItem, actor: str) -> Order:
    """Quantity and type checked, photos taken (R18); the photos commit with the event."""
    if not cmd.photos:
        raise ValidationError("an inspection needs at least one photo")
    ids = [photo.photo_id for photo in cmd.photos]
    return decide(
        ctx,
        cmd.order_id,
        lambda o, now: o.inspect_item(
            cmd.item_id, cmd.checked_quantity, cmd.type_matches, ids, cmd.weight_grams, now
        ),
        actor,
        also=lambda tx, o: save_photos(
            tx,
            cmd.order_id,
            cmd.item_id,
            o.customer_id,
            sealed_photos(ctx, o.customer_id, cmd.photos),
        ),
    )


def open_exchange(ctx: Context, order_id: str, item_id: str, kind: str, actor: str) -> Order:
    """Open an exchange or a return the customer asked for (R19)."""
    return decide(ctx, order_id, lambda o, now: o.open_exchange(item_id, kind, now), actor)


def answer_exchange(
    ctx: Context, order_id: str, item_id: str, accepted: bool, local_cost: Money | None, actor: str
) -> Order:
    """The seller's answer to an exchange or return, and the local cost to charge (R19)."""
    return decide(
        ctx, order_id, lambda o, now: o.answer_exchange(item_id, accepted, local_cost, now), actor
    )
