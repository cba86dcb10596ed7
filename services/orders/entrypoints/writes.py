"""Write endpoints of the orders API: one per command; each accepts `Idempotency-Key`."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from services.orders.adapters.photos import Photo
from services.orders.domain import events as ev
from services.orders.domain.order import Order
from services.orders.entrypoints import schemas
from services.orders.handlers import commands
from shared.domain_errors import ValidationError
from shared.money import Money
from shared.uploads import judge_image
from shared.web.app import current_identity, json_body, require_staff, service_context
from shared.web.idempotency import idempotent

writes = Blueprint("order_writes", __name__)
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
MAX_PHOTOS = 10


def _answer(order: Order, status: int = 200) -> ResponseReturnValue:
    return jsonify(
        {
            "order_id": order.order_id,
            "status": order.status.value if order.status else None,
            "version": order.version,
        }
    ), status


def _customer() -> str | None:
    """The customer acting on their own order, or None when staff act."""
    return current_identity().acting_customer


@writes.post("/orders")
@idempotent
def place_order() -> ResponseReturnValue:
    """Apply for an order (customers)."""
    identity = current_identity()
    body = json_body(schemas.PlaceOrderRequest)
    items = [
        ev.OrderedItem(
            f"itm-{n}",
            i["url"],
            i["title"],
            i["quantity"],
            Money(i["unit_price_cny"], "CNY").rounded(),
            Money(i["domestic_shipping_cny"], "CNY").rounded(),
            i["options"],
        )
        for n, i in enumerate(body["items"], start=1)
    ]
    command = commands.PlaceOrder(
        identity.subject,
        items,
        ev.DeliveryAddress(**body["address"]),
        body["shipping_method"],
        body["note"],
    )
    order_id = commands.place_order(service_context(), command, actor=identity.subject)
    return jsonify({"order_id": order_id, "status": "applied"}), 201


@writes.post("/orders/<order_id>/cancel")
@idempotent
def cancel(order_id: str) -> ResponseReturnValue:
    """Cancel: customers before payment (R15), staff when nothing can be bought (R25)."""
    identity = current_identity()
    return _answer(
        commands.cancel_order(service_context(), order_id, _customer(), identity.subject)
    )


@writes.post("/orders/<order_id>/item-changes")
@idempotent
def change_items(order_id: str) -> ResponseReturnValue:
    """Cancel items or change quantities before payment (R17)."""
    identity = current_identity()
    body = json_body(schemas.ChangeItemsRequest)
    quantities = {c["item_id"]: c["quantity"] for c in body["changes"]}
    return _answer(
        commands.change_items(
            service_context(), order_id, quantities, _customer(), identity.subject
        )
    )


@writes.post("/orders/<order_id>/items/<item_id>/purchase-condition")
@idempotent
def purchase_condition(order_id: str, item_id: str) -> ResponseReturnValue:
    """'Confirm the following before purchasing the item' (R13)."""
    identity = current_identity()
    body = json_body(schemas.TextRequest)
    return _answer(
        commands.set_purchase_condition(
            service_context(), order_id, item_id, body["text"], _customer(), identity.subject
        )
    )


@writes.post("/orders/<order_id>/reception-report")
@idempotent
def reception_report(order_id: str) -> ResponseReturnValue:
    """The customer reports reception: all well completes the order (R23)."""
    identity = current_identity()
    if request.files:
        body = schemas.ReceptionReportRequest().load(request.form.to_dict())
    else:
        body = json_body(schemas.ReceptionReportRequest)
    uploads = request.files.getlist("photos")
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(f"a report takes at most {MAX_PHOTOS} pictures")
    photos = [
        Photo(judged.media_type, judged.content)
        for judged in (
            judge_image(upload.read(), PHOTO_FORMATS, name=f"picture {n}")
            for n, upload in enumerate(uploads, start=1)
        )
    ]
    return _answer(
        commands.report_reception(
            service_context(),
            order_id,
            body["all_well"],
            body["comment"],
            identity.subject,
            identity.subject,
            photos,
        )
    )


@writes.post("/orders/<order_id>/feedback")
@idempotent
def feedback(order_id: str) -> ResponseReturnValue:
    """Feedback on a completed order, once (R28)."""
    identity = current_identity()
    body = json_body(schemas.FeedbackRequest)
    return _answer(
        commands.leave_feedback(
            service_context(),
            order_id,
            body["rating"],
            body["text"],
            identity.subject,
            identity.subject,
        ),
        201,
    )


@writes.post("/orders/<order_id>/inspection-photos-checked")
@idempotent
def inspection_photos_checked(order_id: str) -> ResponseReturnValue:
    """The customer confirms the inspection photos (R18): checking them is done (R2)."""
    identity = current_identity()
    if identity.is_staff:
        raise ValidationError("only the customer confirms the inspection photos")
    return _answer(
        commands.confirm_inspection_photos(
            service_context(), order_id, identity.subject, identity.subject
        )
    )


# --- staff ----------------------------------------------------------------------------------
@writes.post("/orders/<order_id>/items/<item_id>/seller-confirmation")
@idempotent
def seller_confirmation(order_id: str, item_id: str) -> ResponseReturnValue:
    """Record the seller's answer to a purchase condition (R13)."""
    staff = require_staff()
    body = json_body(schemas.AnswerRequest)
    return _answer(
        commands.record_seller_confirmation(
            service_context(), order_id, item_id, body["answer"], staff.subject
        )
    )


@writes.post("/orders/<order_id>/items/<item_id>/purchased")
@idempotent
def purchased(order_id: str, item_id: str) -> ResponseReturnValue:
    """Staff bought the item."""
    staff = require_staff()
    return _answer(commands.mark_purchased(service_context(), order_id, item_id, staff.subject))


@writes.post("/orders/<order_id>/items/<item_id>/unavailable")
@idempotent
def unavailable(order_id: str, item_id: str) -> ResponseReturnValue:
    """The item cannot be purchased or forwarded (R20)."""
    staff = require_staff()
    body = json_body(schemas.ReasonRequest)
    return _answer(
        commands.mark_unavailable(
            service_context(), order_id, item_id, body["reason"], staff.subject
        )
    )


@writes.post("/orders/<order_id>/items/<item_id>/arrival")
@idempotent
def arrival(order_id: str, item_id: str) -> ResponseReturnValue:
    """The item arrived at the warehouse."""
    staff = require_staff()
    return _answer(commands.record_arrival(service_context(), order_id, item_id, staff.subject))


@writes.post("/orders/<order_id>/items/<item_id>/inspection")
@idempotent
def inspection(order_id: str, item_id: str) -> ResponseReturnValue:
    """Quantity and type checked, with photos (multipart form, field `photos`) (R18)."""
    staff = require_staff()
    form = schemas.InspectionForm().load(request.form.to_dict())
    uploads = request.files.getlist("photos")
    if not uploads or len(uploads) > MAX_PHOTOS:
        raise ValidationError(f"an inspection takes 1 to {MAX_PHOTOS} photos")
    photos = []
    for n, upload in enumerate(uploads, start=1):
        judged = judge_image(upload.read(), PHOTO_FORMATS, name=f"photo {n}")
        photos.append(Photo(judged.media_type, judged.content))
    command = commands.InspectItem(
        order_id,
        item_id,
        form["checked_quantity"],
        form["type_matches"],
        photos,
        form["weight_grams"],
    )
    return _answer(commands.inspect_item(service_context(), command, staff.subject))


@writes.post("/orders/<order_id>/items/<item_id>/exchange")
@idempotent
def open_exchange(order_id: str, item_id: str) -> ResponseReturnValue:
    """Open an exchange or return the customer asked for (R19)."""
    staff = require_staff()
    body = json_body(schemas.ExchangeRequest)
    return _answer(
        commands.open_exchange(service_context(), order_id, item_id, body["kind"], staff.subject)
    )


@writes.post("/orders/<order_id>/items/<item_id>/exchange-answer")
@idempotent
def exchange_answer(order_id: str, item_id: str) -> ResponseReturnValue:
    """The seller's answer, and any local shipping cost to charge (R19)."""
    staff = require_staff()
    body = json_body(schemas.ExchangeAnswerRequest)
    cost = body["local_cost_cny"]
    return _answer(
        commands.answer_exchange(
            service_context(),
            order_id,
            item_id,
            body["accepted"],
            Money(cost, "CNY").rounded() if cost is not None else None,
            staff.subject,
        )
    )
