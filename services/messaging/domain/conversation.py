"""The conversation of one order: open while the order is ongoing and for 30 days after it
was completed or cancelled (R12); its messages, and who has read up to where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.events.aggregate import EventSourced
from shared.events.errors import InvalidTransitionError, NotFoundError, ValidationError

MESSAGE_WINDOW = timedelta(days=30)  # R12
MAX_TEXT = 10_000
REQUEST_KINDS = ("exchange_request", "return_request")  # R19
CUSTOMER_KINDS = ("message", *REQUEST_KINDS, "purchase_condition")


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


@dataclass(frozen=True)
class MessagePosted:
    message_id: str
    conversation_id: str
    order_id: str | None
    customer_id: str | None
    sender_role: str
    kind: str
    text: str
    attachment_ids: list[str]
    posted_at: datetime


@dataclass(frozen=True)
class PurchaseConditionRequested:
    order_id: str
    customer_id: str
    item_id: str
    text: str
    requested_at: datetime


@dataclass(frozen=True)
class MessagesRead:
    conversation_id: str
    reader_role: str  # customer | staff
    up_to_message_id: str
    at: datetime


EVENT_TYPES: tuple[type, ...] = (
    ConversationOpened,
    ConversationClosing,
    MessagePosted,
    PurchaseConditionRequested,
    MessagesRead,
)


@dataclass
class Conversation(EventSourced):
    """What a conversation's history adds up to."""

    order_id: str
    customer_id: str = ""
    opened: bool = False
    closes_at: datetime | None = None
    message_ids: tuple[str, ...] = ()
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, ConversationOpened):
            self.opened, self.customer_id = True, event.customer_id
        elif isinstance(event, ConversationClosing):
            self.closes_at = event.closes_at
        elif isinstance(event, MessagePosted):
            self.message_ids = (*self.message_ids, event.message_id)

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

    def post(
        self,
        message_id: str,
        sender_role: str,
        kind: str,
        text: str,
        attachment_ids: list[str],
        now: datetime,
        item_id: str | None = None,
    ) -> list[object]:
        """A message on the order (R7, R12); a purchase condition also tells orders (R13)."""
        if not self.opened:
            raise NotFoundError(f"no conversation for order {self.order_id}")
        if not self.accepts_messages(now):
            raise InvalidTransitionError(
                f"order {self.order_id} ended more than 30 days ago: messages are closed"
            )
        if sender_role == "customer" and kind not in CUSTOMER_KINDS:
            raise ValidationError(f"kind is one of {', '.join(CUSTOMER_KINDS)}")
        if not text.strip() and not attachment_ids:
            raise ValidationError("a message needs text or an attachment")
        if len(text) > MAX_TEXT:
            raise ValidationError(f"a message has at most {MAX_TEXT} characters")
        posted = MessagePosted(
            message_id,
            self.order_id,
            self.order_id,
            self.customer_id,
            sender_role,
            kind,
            text.strip(),
            attachment_ids,
            now,
        )
        if kind != "purchase_condition":
            return [posted]
        if not item_id:
            raise ValidationError("say which item to confirm before purchasing")
        if not text.strip():
            raise ValidationError("say what to confirm with the seller")
        return [
            posted,
            PurchaseConditionRequested(self.order_id, self.customer_id, item_id, text.strip(), now),
        ]

    def problem_reported(
        self, message_id: str, text: str, now: datetime, pictures: list[str] | None = None
    ) -> list[object]:
        """The customer's reception problem report opens a message marked as a problem, with
        its text and pictures (R23)."""
        if message_id in self.message_ids:
            return []
        posted = MessagePosted(
            message_id,
            self.order_id,
            self.order_id,
            self.customer_id,
            "customer",
            "problem",
            text,
            list(pictures or []),
            now,
        )
        return [posted]

    def read(self, reader_role: str, now: datetime) -> list[object]:
        """The reader has seen every message so far."""
        if not self.message_ids:
            return []
        return [MessagesRead(self.order_id, reader_role, self.message_ids[-1], now)]
