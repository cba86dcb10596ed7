"""The messaging service's handlers: one plain function per consumed event."""

from __future__ import annotations

from services.messaging.domain.conversation import EVENT_TYPES, Conversation
from shared.events.codec import EventCodec
from shared.events.consumer import Handler, IncomingEvent
from shared.events.contracts import CONTRACTS
from shared.events.errors import NotYetApplicableError
from shared.events.repository import Repository
from shared.events.store import Transaction
from shared.runtime import Context

CODEC = EventCodec(EVENT_TYPES, CONTRACTS)
CONVERSATIONS: Repository[Conversation] = Repository("conversation", CODEC, Conversation.replay)


def on_order_placed(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """Every order gets a conversation."""
    data = event.data
    conversation = CONVERSATIONS.get(tx, data["order_id"])
    CONVERSATIONS.save(
        tx,
        data["order_id"],
        conversation,
        conversation.open(data["customer_id"], data["placed_at"]),
        event.metadata(),
    )


def on_order_ended(ctx: Context, tx: Transaction, event: IncomingEvent) -> None:
    """A completed or cancelled order keeps its conversation open 30 more days (R12)."""
    data = event.data
    conversation = CONVERSATIONS.get(tx, data["order_id"])
    if not conversation.opened:
        raise NotYetApplicableError("order end before order placed", event.envelope.ordering_key)
    if event.type == "OrderCompleted":
        new = conversation.order_ended("completed", data["completed_at"])
    else:
        new = conversation.order_ended("cancelled", data["cancelled_at"])
    CONVERSATIONS.save(tx, data["order_id"], conversation, new, event.metadata())


def event_handlers(ctx: Context) -> dict[str, Handler]:
    """Routing of consumed integration events to their handlers."""
    return {
        "OrderPlaced": lambda tx, e: on_order_placed(ctx, tx, e),
        "OrderCompleted": lambda tx, e: on_order_ended(ctx, tx, e),
        "OrderCancelled": lambda tx, e: on_order_ended(ctx, tx, e),
    }
