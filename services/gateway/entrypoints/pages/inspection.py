"""The inspection photos of an order's items (R18): a gallery per item with large views, the
customer's "Photos checked" (R2's next action done) and "I have a question about this item",
which opens a message on that item (R7)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.pages.common import done, fetch, html_errors, page, send
from services.gateway.entrypoints.pages.order_summary import OrderSummary, summarize
from services.gateway.entrypoints.pages.orders import NEXT_ACTIONS
from services.gateway.entrypoints.sessions import signed_in

inspection_pages = Blueprint("inspection_pages", __name__)
html_errors(inspection_pages)


def _order_and_item(order_id: str, item_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The caller's order and one of its items; 404 for anyone else's or an unknown one."""
    signed_in()
    order = fetch("orders", f"/orders/{order_id}")
    if not order.shown:
        abort(404 if order.missing else 503)
    found = [i for i in order.value["items"] if i["item_id"] == item_id]
    if not found:
        abort(404)
    return order.value, found[0]


def photo_href(order_id: str, photo_id: str) -> str:
    """Where the browser loads an inspection photo (orders serves it to the owner and staff)."""
    return f"/api/orders/orders/{order_id}/photos/{photo_id}"


@inspection_pages.get("/orders/<order_id>/items/<item_id>/photos")
@inspection_pages.get("/orders/<order_id>/items/<item_id>/photos/<int:number>")
def gallery(order_id: str, item_id: str, number: int = 1) -> ResponseReturnValue:
    """One item's inspection photos: photo `number` large, the others as thumbnails, with
    previous and next links (keyboard: arrows and Escape, by photo_viewer.js)."""
    order, item = _order_and_item(order_id, item_id)
    photos = list(item.get("photo_ids") or [])
    if not photos:
        return page("photos.html", order_id=order_id, order=order, item=item, photos=[], n=0)
    if not 1 <= number <= len(photos):
        abort(404)
    return page(
        "photos.html",
        order_id=order_id,
        order=order,
        item=item,
        photos=[photo_href(order_id, p) for p in photos],
        n=number,
    )


@inspection_pages.post("/orders/<order_id>/photos-checked")
def photos_checked(order_id: str) -> ResponseReturnValue:
    """The customer confirms the inspection photos (R18): the next action moves on (R2)."""
    answer = send("orders", "POST", f"/orders/{order_id}/inspection-photos-checked", json={})
    return done(
        answer,
        "Thank you: the inspection photos are checked. We tell you when shipping is billed.",
        f"/orders/{order_id}",
    )


@inspection_pages.get("/orders/<order_id>/items/<item_id>/question")
def question_form(order_id: str, item_id: str) -> ResponseReturnValue:
    """A message form about one item, e.g. after looking at its photos (R7, R18)."""
    order, item = _order_and_item(order_id, item_id)
    return page("item_question.html", order_id=order_id, order=order, item=item, text="")


@inspection_pages.post("/orders/<order_id>/items/<item_id>/question")
def ask_question(order_id: str, item_id: str) -> ResponseReturnValue:
    """Send the question as a message on the order that names the item (MessagePosted v2)."""
    text = request.form.get("text", "")
    answer = send(
        "messaging",
        "POST",
        f"/orders/{order_id}/messages",
        data={"text": text, "item_id": item_id},
    )
    if not answer.ok and answer.status == 400:
        order, item = _order_and_item(order_id, item_id)
        context = {"order_id": order_id, "order": order, "item": item, "text": text}
        return page("item_question.html", error=answer.message, **context), 400
    return done(answer, "Your question is sent; we answer in the messages.", _messages(order_id))


def _messages(order_id: str) -> str:
    return f"/orders/{order_id}#messages"


@inspection_pages.app_template_filter("order_summary")
def order_summary(doc: Any) -> OrderSummary:
    """The order list's line of an order document (title, picture, count, total)."""
    return summarize(doc)


@inspection_pages.app_template_filter("next_action_name")
def next_action_name(action: Any) -> str:
    """The words of a next action (R2), the same on the list as on the order page."""
    return NEXT_ACTIONS.get(str(action), str(action).replace("_", " ").capitalize())


@inspection_pages.app_template_filter("filesize")
def file_size(size: Any) -> str:
    """A file's size in bytes as a customer reads it: "812 bytes", "34 KB", "2.4 MB"."""
    if not isinstance(size, int) or size < 0:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"
