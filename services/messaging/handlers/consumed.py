"""Integration events the messaging service consumes: one plain function each."""

from __future__ import annotations

from collections.abc import Mapping

from services.messaging.adapters.attachments import orders_photo
from services.messaging.domain.conversation import Conversation
from services.messaging.handlers.common import CONVERSATIONS, sealed
from services.messaging.handlers.notifications import MAILED_EVENTS, on_mailed_event
from shared.events.errors import NotYetApplicableError
from shared.events.incoming import IncomingEvent
from shared.events.store import Transaction
from shared.runtime import Context, EventHandler


def on_order_placed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Every order gets a conversation, which keeps the order's item ids (R13, R19)."""
    data = event.data
    found = CONVERSATIONS.get(tx, data["order_id"])
    item_ids = [item["item_id"] for item in data["items"]]
    CONVERSATIONS.save(
        tx,
        data["order_id"],
        found,
        found.open(data["customer_id"], data["placed_at"], item_ids),
        event.metadata(),
    )


def on_order_items_changed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Items changed before payment (R17): a cancelled item can no longer be named (R13)."""
    data = event.data
    found = _opened(tx, event)
    new = found.items_changed([item["item_id"] for item in data["items"]], data["changed_at"])
    CONVERSATIONS.save(tx, data["order_id"], found, new, event.metadata())


def on_payment_received(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A settled 1st billing ends pre-payment: purchase conditions close (R13). Mailed too."""
    data = event.data
    if data["kind"] == "first" and data["billing_settled"]:
        found = _opened(tx, event)
        new = found.first_billing_paid(data["received_at"])
        CONVERSATIONS.save(tx, data["order_id"], found, new, event.metadata())
    on_mailed_event(ctx, tx, event)


def _opened(tx: Transaction, event: IncomingEvent) -> Conversation:
    """The order's conversation; held until OrderPlaced has opened it (events of two
    producers may arrive in either order)."""
    found = CONVERSATIONS.get(tx, event.data["order_id"])
    if not found.opened:
        raise NotYetApplicableError(
            f"{event.type} before order placed", event.envelope.ordering_key
        )
    return found


def on_order_ended(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A completed or cancelled order keeps its conversation open 30 more days (R12)."""
    data = event.data
    found = _opened(tx, event)
    if event.type == "OrderCompleted":
        new = found.order_ended("completed", data["completed_at"])
    else:
        new = found.order_ended("cancelled", data["cancelled_at"])
    CONVERSATIONS.save(tx, data["order_id"], found, new, event.metadata())


def on_reception_reported(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A problem in the reception report opens a message marked as a problem (R23), with the
    customer's pictures: orders keeps them; the message refers to them as `orders-photo:<id>`
    (served by orders at /orders/<order>/photos/<id> to the owner and staff; the message
    API gives each its href, see adapters/attachments.attachment_href)."""
    data = event.data
    if data["all_well"]:
        return
    found = _opened(tx, event)
    text = data["comment"] or "The customer reported a problem with the reception."
    message_id = f"msg-problem-{str(event.envelope.event_id)[:12]}"
    pictures = [orders_photo(photo_id) for photo_id in data["photo_ids"]]
    new = found.problem_reported(message_id, text, data["reported_at"], pictures)
    # Orders sealed the comment (kept as it is); one from before sealing is sealed here. A
    # report arriving after its customer was forgotten still opens the message, without text.
    kept = sealed(ctx.personal, new, forgotten_ok=True)
    CONVERSATIONS.save(tx, data["order_id"], found, kept, event.metadata())


def on_order_cancelled(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A cancelled order ends (R12) and its customer is told by e-mail."""
    on_order_ended(ctx, tx, event)
    on_mailed_event(ctx, tx, event)


# Each consumed integration event and its handler (its queue bindings follow from this): the
# events that send the customer an e-mail, some of which also change the conversation.
EVENT_HANDLERS: Mapping[str, EventHandler] = {
    **dict.fromkeys(MAILED_EVENTS, on_mailed_event),
    "OrderPlaced": on_order_placed,
    "OrderItemsChanged": on_order_items_changed,
    "OrderCompleted": on_order_ended,
    "OrderCancelled": on_order_cancelled,
    "ReceptionReported": on_reception_reported,
    "PaymentReceived": on_payment_received,
}
