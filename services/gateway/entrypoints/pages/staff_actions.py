"""The staff console's actions (R27): each form posts here, the service decides, and the
order page comes back once it shows the change, or with the service's reason for refusing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, request
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.pages.common import (
    client,
    done,
    html_errors,
    item_changes,
    number,
    send,
    session_identity,
    uploads,
)
from services.gateway.entrypoints.sessions import staff_signed_in
from shared.domain_errors import NotFoundError

staff_actions = Blueprint("staff_actions", __name__)
html_errors(staff_actions)

PARCEL_FIELDS = ("weight_grams", "length_cm", "width_cm", "height_cm")


@staff_actions.before_request
def staff_only() -> None:
    """Every action here is staff's: a customer's valid session is still refused (403), even
    where the service itself would let a customer act on their own order (cancel, changes)."""
    staff_signed_in()


def _field(name: str) -> str:
    return request.form.get(name, "").strip()


def _read(service: str, path: str) -> Any:
    seen = client().get(service, path, session_identity())
    return seen.body if seen.ok else None


def _order_page(order_id: str) -> str:
    """The staff order page, which waits until it shows a change made (read your writes)."""
    return f"/staff/orders/{order_id}"


def _exchange_answer() -> dict[str, Any]:
    cost = _field("local_cost_cny")
    return {"accepted": _field("accepted") == "true", "local_cost_cny": cost or None}


ITEM_BODIES: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "purchased": (dict, "The item is marked purchased."),
    "arrival": (dict, "The item's arrival is recorded."),
    "unavailable": (lambda: {"reason": _field("reason")}, "The item is marked unavailable."),
    "seller-confirmation": (
        lambda: {"answer": _field("answer")},
        "The seller's answer is recorded.",
    ),
    "exchange": (lambda: {"kind": _field("kind")}, "The exchange or return is opened."),
    "exchange-answer": (_exchange_answer, "The seller's answer is recorded."),
}


@staff_actions.post("/staff/orders/<order_id>/items/<item_id>/inspection")
def inspect_item(order_id: str, item_id: str) -> ResponseReturnValue:
    """Quantity and type checked, with 1-10 photos (R18)."""
    form = {
        "checked_quantity": _field("checked_quantity"),
        "type_matches": "true" if _field("type_matches") == "true" else "false",
    }
    if _field("weight_grams"):
        form["weight_grams"] = _field("weight_grams")
    answer = send(
        "orders",
        "POST",
        f"/orders/{order_id}/items/{item_id}/inspection",
        data=form,
        files=uploads("photos"),
    )
    return done(answer, "The inspection is recorded.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/items/<item_id>/<action>")
def item_action(order_id: str, item_id: str, action: str) -> ResponseReturnValue:
    """Purchased, unavailable, arrival, the seller's confirmation, exchange and its answer."""
    if action not in ITEM_BODIES:
        raise NotFoundError(f"no item action {action}")
    body, success = ITEM_BODIES[action]
    path = f"/orders/{order_id}/items/{item_id}/{action}"
    answer = send("orders", "POST", path, json=body())
    return done(answer, success, _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/items")
def change_items(order_id: str) -> ResponseReturnValue:
    """Adjust quantities while reviewing an applied order's estimate (0 cancels an item)."""
    changes = item_changes(request.form)
    if not changes:
        flash("Nothing was changed.", "error")
        return redirect(_order_page(order_id), code=303)
    answer = send("orders", "POST", f"/orders/{order_id}/item-changes", json={"changes": changes})
    return done(answer, "The items are changed.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/cancel")
def cancel_order(order_id: str) -> ResponseReturnValue:
    """Cancel an order when nothing can be purchased or forwarded (R25)."""
    answer = send("orders", "POST", f"/orders/{order_id}/cancel", json={})
    return done(answer, "The order is cancelled.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/billings/<billing_id>/payments")
def confirm_payment(order_id: str, billing_id: str) -> ResponseReturnValue:
    """Confirm money received for a billing (R9); an excess goes to the deposit."""
    body = {"amount": _field("amount"), "currency": _field("currency")}
    answer = send("billing", "POST", f"/billings/{billing_id}/payments", json=body)
    return done(answer, "The payment is confirmed.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/deposit-adjustments")
def adjust_deposit(order_id: str) -> ResponseReturnValue:
    """Adjust the order's customer's deposit, with a reason."""
    order = _read("orders", f"/orders/{order_id}")
    if order is None:
        raise NotFoundError(f"order {order_id} not found")
    body = {"amount": _field("amount"), "currency": _field("currency"), "reason": _field("reason")}
    path = f"/customers/{order['customer_id']}/deposit/adjustments"
    answer = send("billing", "POST", path, json=body)
    return done(answer, "The deposit is adjusted.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/parcels")
def pack(order_id: str) -> ResponseReturnValue:
    """Pack: each filled parcel row (weight and sides); the fee is quoted from them (R21)."""
    rows = zip(*(request.form.getlist(name) for name in PARCEL_FIELDS), strict=False)
    parcels = [
        {name: number(value.strip()) for name, value in zip(PARCEL_FIELDS, row, strict=True)}
        for row in rows
        if any(value.strip() for value in row)
    ]
    if not parcels:
        flash("Enter the weight and sides of at least one parcel.", "error")
        return redirect(_order_page(order_id), code=303)
    answer = send("shipping", "POST", f"/shipments/{order_id}/parcels", json={"parcels": parcels})
    return done(
        answer, "The parcels are packed and the shipping fee is quoted.", _order_page(order_id)
    )


@staff_actions.post("/staff/orders/<order_id>/ship")
def ship(order_id: str) -> ResponseReturnValue:
    """Ship every parcel with its carrier and tracking number (R6)."""
    rows = zip(
        request.form.getlist("parcel_id"),
        request.form.getlist("carrier"),
        request.form.getlist("tracking_number"),
        strict=False,
    )
    parcels = [
        {"parcel_id": parcel, "carrier": carrier.strip(), "tracking_number": number.strip()}
        for parcel, carrier, number in rows
    ]
    answer = send("shipping", "POST", f"/shipments/{order_id}/ship", json={"parcels": parcels})
    return done(answer, "The order is shipped.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/method")
def change_method(order_id: str) -> ResponseReturnValue:
    """Change the shipping method at the customer's request, before the fee is quoted."""
    body = {"method": _field("method")}
    answer = send("shipping", "POST", f"/shipments/{order_id}/method", json=body)
    return done(answer, "The shipping method is changed.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/messages")
def reply(order_id: str) -> ResponseReturnValue:
    """Reply in the order's conversation, with up to 3 attachments (R7, R14)."""
    path = f"/orders/{order_id}/messages"
    answer = send(
        "messaging", "POST", path, data={"text": _field("text")}, files=uploads("attachments")
    )
    return done(answer, "Your reply is sent.", _order_page(order_id))


@staff_actions.post("/staff/orders/<order_id>/messages/read")
def mark_read(order_id: str) -> ResponseReturnValue:
    """Mark the customer's messages so far as read."""
    answer = send("messaging", "POST", f"/orders/{order_id}/messages/read", json={})
    return done(answer, "The messages are marked read.", _order_page(order_id))


@staff_actions.post("/staff/inquiries/<inquiry_id>/answers")
def answer_inquiry(inquiry_id: str) -> ResponseReturnValue:
    """Answer a general inquiry (no order), from the console."""
    answer = send(
        "messaging", "POST", f"/inquiries/{inquiry_id}/answers", json={"text": _field("text")}
    )
    return done(answer, "Your answer is sent.", "/staff")
