"""The customer's order pages: the list with the ongoing orders as tabs (R1), the order form,
and the order details page with every section of R1-R7 and its actions (R15, R17, R23, R28)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import Blueprint, abort, flash, redirect, request
from flask.typing import ResponseReturnValue

from services.gateway.adapters.upstream import ServiceAnswer
from services.gateway.entrypoints.pages.account_addresses import (
    address_choice,
    first_address_fields,
    remember_order_address,
)
from services.gateway.entrypoints.pages.common import (
    Part,
    done,
    fetch,
    html_errors,
    item_changes,
    page,
    send,
    uploads,
)
from services.gateway.entrypoints.pages.confirmations import paid_back
from services.gateway.entrypoints.pages.deadlines import deadline_notes
from services.gateway.entrypoints.pages.form_errors import (
    CONDITION_FORM,
    FEEDBACK_FORM,
    ITEM_CHANGES_FORM,
    MESSAGE_FORM,
    ORDER_FORM,
    RECEPTION_FORM,
    FormErrors,
    Spec,
    refusal,
)
from services.gateway.entrypoints.pages.order_form import SHIPPING_METHODS, order_request
from services.gateway.entrypoints.pages.vocabulary import (
    PROGRESS,
    shipping_method_words,
    status_words,
)
from services.gateway.entrypoints.sessions import signed_in

order_pages = Blueprint("order_pages", __name__)
html_errors(order_pages)
order_pages.add_app_template_global(paid_back, "paid_back")  # the customer's and staff's
# One name per status and shipping method on every page, the staff console's too.
order_pages.add_app_template_filter(status_words, "status_words")
order_pages.add_app_template_filter(shipping_method_words, "shipping_method_words")

TABS = ("ongoing", "completed", "cancelled")
NEXT_ACTIONS = {
    "pay_first_billing": "Pay the 1st billing",
    "pay_second_billing": "Pay the 2nd billing",
    "check_inspection_photos": "Check the inspection photos",
    "send_reception_report": "Send the reception report",
}


@order_pages.get("/orders")
def order_list() -> ResponseReturnValue:
    """The caller's orders in a tab; the ongoing ones are also the tabs to switch between."""
    signed_in()
    tab = request.args.get("tab", "ongoing")
    if tab not in TABS:
        tab = "ongoing"
    listed = fetch("orders", "/orders", {"tab": tab})
    ongoing = listed if tab == "ongoing" else fetch("orders", "/orders", {"tab": "ongoing"})
    return page("orders.html", tab=tab, tabs=TABS, listed=listed, ongoing=ongoing)


@order_pages.get("/orders/new")
def new_order() -> ResponseReturnValue:
    """The order application form; a customer's saved address fills it (the default, or
    the one picked: `?address=<id>`)."""
    form = first_address_fields(signed_in().account.account_id, request.args.get("address"))
    return _new_order_page(form, 3, FormErrors())


def _new_order_page(form: Mapping[str, str], rows: int, errors: FormErrors) -> str:
    """The order application form, filled with `form`, with `rows` item rows."""
    account_id = signed_in().account.account_id
    return page(
        "order_new.html",
        form=form,
        rows=rows,
        methods=SHIPPING_METHODS,
        errors=errors,
        **address_choice(account_id, form),
    )


@order_pages.post("/orders/new")
def apply_for_order() -> ResponseReturnValue:
    """Apply for an order; a refused form comes back filled in, with the reason."""
    body, rows = order_request(request.form)
    answer = send("orders", "POST", "/orders", json=body)
    if not answer.ok:
        # Every sentence goes beside its field; the form keeps all that was typed.
        return _new_order_page(request.form.to_dict(), rows, refusal(answer, ORDER_FORM)), 400
    remember_order_address(signed_in().account.account_id, request.form, body["address"])
    order_id = answer.body["order_id"]
    # The order page waits for the order to be readable: `send` kept the write's position.
    return done(
        answer, "Your order is applied; the 1st billing follows shortly.", f"/orders/{order_id}"
    )


@order_pages.get("/orders/<order_id>")
def order_details(order_id: str) -> ResponseReturnValue:
    """Every section of the order details page (R1-R7); a section whose service is down
    says so, and the others still show."""
    return _details_page(order_id)


def _details_page(order_id: str, refused: Refused | None = None) -> str:
    """The order details page; `refused`: a form on it the services refused, shown again
    as typed with each reason beside its field."""
    signed_in()
    order = fetch("orders", f"/orders/{order_id}")
    billings = fetch("billing", f"/orders/{order_id}/billings")
    shipment = fetch("shipping", f"/shipments/{order_id}")
    messages = fetch("messaging", f"/orders/{order_id}/messages")
    # Each service checks ownership itself; a 404 from any of them for an order that the
    # orders service does not show is someone else's order (or none): nothing is shown.
    others_missing = all(part.missing for part in (billings, shipment, messages))
    if order.missing or (order.unavailable and others_missing):
        abort(404)
    return page(
        "order_details.html",
        order_id=order_id,
        order=order,
        billings=billings,
        shipment=shipment,
        messages=messages,
        ongoing=fetch("orders", "/orders", {"tab": "ongoing"}),
        progress=PROGRESS,
        next_actions=NEXT_ACTIONS,
        first=_billing(billings, "first"),
        second=_billing(billings, "second"),
        awaited_transfer=_awaited_transfer(order, billings),
        deadlines=deadline_notes(order.value if order.shown else None, order_id),
        refused=refused,
    )


@dataclass(frozen=True)
class Refused:
    """A form of the order page that the services refused: which, what was typed, and why."""

    form: str
    values: Mapping[str, str]
    errors: FormErrors

    def typed(self, form: str, name: str) -> str:
        """What was typed in the field `name` of `form` ('' for another form)."""
        return self.values.get(name, "") if form == self.form else ""

    def of(self, form: str) -> FormErrors:
        """The errors of `form` (none for another form)."""
        return replace(self.errors if form == self.form else FormErrors(), prefix=f"{form}-")


def _refused_or_done(
    order_id: str,
    answer: ServiceAnswer,
    success: str,
    form: str,
    spec: Spec,
    anchor: str = "",
    rows: Mapping[int, str] | None = None,
) -> ResponseReturnValue:
    """A refused form (400) comes back on the order page, as typed, each reason beside its
    field; anything else goes back to the order saying what happened."""
    if answer.status == 400:
        refused = Refused(form, request.form.to_dict(), refusal(answer, spec, rows))
        return _details_page(order_id, refused), 400
    return done(answer, success, f"/orders/{order_id}{anchor}")


def _awaited_transfer(order: Part, billings: Part) -> dict[str, Any] | None:
    """The billing the customer must pay next if they reported its transfer: then the next
    action is waiting for the bank, not paying again (R2, R9)."""
    if not order.shown:
        return None
    kind = {"pay_first_billing": "first", "pay_second_billing": "second"}.get(
        order.value.get("next_action") or ""
    )
    found = _billing(billings, kind) if kind else None
    return found if found and found.get("pending_report") else None


def _billing(billings: Part, kind: str) -> dict[str, Any] | None:
    if not billings.shown:
        return None
    found: list[dict[str, Any]] = [b for b in billings.value["billings"] if b["kind"] == kind]
    return found[-1] if found else None


@order_pages.post("/orders/<order_id>/cancel")
def cancel_order(order_id: str) -> ResponseReturnValue:
    """Cancel the order before the 1st billing is paid (R15)."""
    answer = send("orders", "POST", f"/orders/{order_id}/cancel", json={})
    return done(answer, "The order is cancelled.", f"/orders/{order_id}")


@order_pages.post("/orders/<order_id>/items")
def change_items(order_id: str) -> ResponseReturnValue:
    """Change quantities or cancel items (quantity 0) before payment (R17)."""
    signed_in()
    changes = item_changes(request.form)
    if not changes:
        flash("Nothing was changed.", "error")
        return redirect(f"/orders/{order_id}", code=303)
    answer = send("orders", "POST", f"/orders/{order_id}/item-changes", json={"changes": changes})
    rows = {n: str(change["item_id"]) for n, change in enumerate(changes)}
    return _refused_or_done(
        order_id,
        answer,
        "The items are changed and the 1st billing is recalculated.",
        "items",
        ITEM_CHANGES_FORM,
        rows=rows,
    )


@order_pages.post("/orders/<order_id>/items/<item_id>/condition")
def purchase_condition(order_id: str, item_id: str) -> ResponseReturnValue:
    """'Confirm the following before purchasing the item' (R13)."""
    answer = send(
        "orders",
        "POST",
        f"/orders/{order_id}/items/{item_id}/purchase-condition",
        json={"text": request.form.get("text", "")},
    )
    return _refused_or_done(
        order_id,
        answer,
        "We will confirm this with the seller before purchasing.",
        f"condition-{item_id}",
        CONDITION_FORM,
    )


@order_pages.post("/orders/<order_id>/reception")
def reception_report(order_id: str) -> ResponseReturnValue:
    """The reception report: all well completes the order; a problem opens a message with
    the pictures (R23)."""
    all_well = request.form.get("all_well") == "true"
    comment = request.form.get("comment", "")
    photos = [] if all_well else uploads("photos")
    path = f"/orders/{order_id}/reception-report"
    if photos:  # the service takes pictures as multipart, a plain report as JSON
        form = {"all_well": "false", "comment": comment}
        answer = send("orders", "POST", path, data=form, files=photos)
    else:
        answer = send("orders", "POST", path, json={"all_well": all_well, "comment": comment})
    success = (
        "Thank you: the order is completed."
        if all_well
        else "Your problem report is sent; we answer in the messages below."
    )
    return _refused_or_done(order_id, answer, success, "reception", RECEPTION_FORM)


@order_pages.post("/orders/<order_id>/feedback")
def leave_feedback(order_id: str) -> ResponseReturnValue:
    """Feedback on a completed order (R28)."""
    rating = request.form.get("rating", "")
    answer = send(
        "orders",
        "POST",
        f"/orders/{order_id}/feedback",
        json={
            "rating": int(rating) if rating.isdigit() else 0,
            "text": request.form.get("text", ""),
        },
    )
    return _refused_or_done(
        order_id, answer, "Thank you for your feedback.", "feedback", FEEDBACK_FORM
    )


@order_pages.post("/orders/<order_id>/messages")
def send_message(order_id: str) -> ResponseReturnValue:
    """A new message on the order, with up to 3 attachments (R7, R14)."""
    answer = send(
        "messaging",
        "POST",
        f"/orders/{order_id}/messages",
        data={"text": request.form.get("text", "")},
        files=uploads("attachments") or None,
    )
    return _refused_or_done(
        order_id, answer, "Your message is sent.", "message", MESSAGE_FORM, "#messages"
    )


@order_pages.post("/orders/<order_id>/messages/read")
def mark_read(order_id: str) -> ResponseReturnValue:
    """Mark the order's messages read."""
    answer = send("messaging", "POST", f"/orders/{order_id}/messages/read", json={})
    return done(answer, "Messages marked as read.", f"/orders/{order_id}#messages")
