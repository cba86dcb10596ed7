"""The conversation of one order: open while the order is ongoing and for 30 days after it
was completed or cancelled (R12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.aggregate import EventSourced

MESSAGE_WINDOW = timedelta(days=30)  # R12


@dataclass(frozen=True)
class ConversationOpened:
    order_id: str
    customer_id: str
    opened_at: datetime


@dataclass(frozen=True)
class ConversationClosing:
    order_id: str
    order_outcome: str  # "completed" | "cancelled"
    closes_at: datetime


EVENT_TYPES: tuple[type, ...] = (ConversationOpened, ConversationClosing)


@dataclass
class Conversation(EventSourced):
    """What a conversation's history adds up to."""

    order_id: str
    customer_id: str = ""
    opened: bool = False
    closes_at: datetime | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, ConversationOpened):
            self.opened, self.customer_id = True, event.customer_id
        elif isinstance(event, ConversationClosing):
            self.closes_at = event.closes_at

    def open(self, customer_id: str, now: datetime) -> list[object]:
        """Open once, when the order is placed."""
        return [] if self.opened else [ConversationOpened(self.order_id, customer_id, now)]

    def order_ended(self, outcome: str, ended_at: datetime) -> list[object]:
        """The order completed or was cancelled: messages stay possible for 30 days."""
        if self.closes_at is not None:
            return []
        return [ConversationClosing(self.order_id, outcome, ended_at + MESSAGE_WINDOW)]

    def accepts_messages(self, now: datetime) -> bool:
        """True while messages may be posted on this order (R12)."""
        return self.opened and (self.closes_at is None or now < self.closes_at)
