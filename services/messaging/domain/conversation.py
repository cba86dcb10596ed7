"""The conversation of one order: open while the order is ongoing and for 30 days after it
was completed or cancelled (R12); its messages, and who has read up to where; and which items
the order has and whether they still await the 1st payment, so a message can only name an
item of the order, and a purchase condition only one still in pre-payment (R13, R19)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.events.aggregate import EventSourced

MESSAGE_WINDOW = timedelta(days=30)  # R12


def window_open(closes_at: datetime | None, now: datetime) -> bool:
    """Messages may be posted until the window closes, 30 days after the order ended (R12)."""
    return closes_at is None or now < closes_at


MAX_TEXT = 10_000
REQUEST_KINDS = ("exchange_request", "return_request")  # R19
CUSTOMER_KINDS = ("message", *REQUEST_KINDS, "purchase_condition")


@dataclass(frozen=True)
class ConversationOpened:
    order_id: str
    customer_id: str
    opened_at: datetime
    # None in conversations stored before messaging kept the order's items (replay as before).
    item_ids: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ConversationItemsChanged:
    """The customer changed the items before payment (R17): these remain."""

    order_id: str
    item_ids: tuple[str, ...]
    changed_at: datetime


@dataclass(frozen=True)
class PrePaymentEnded:
    """The 1st billing is paid: every item left pre-payment (purchase conditions close)."""

    order_id: str
    paid_at: datetime


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
    item_id: str | None = None  # the item a request or condition is about (R13, R19)


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
    ConversationItemsChanged,
    PrePaymentEnded,
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
    order_outcome: str | None = None
    message_ids: tuple[str, ...] = ()
    item_ids: tuple[str, ...] | None = None  # the items that remain; None: not known (old)
    cancelled_item_ids: tuple[str, ...] = ()
    first_billing_is_paid: bool = False
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, ConversationOpened):
            self.opened, self.customer_id = True, event.customer_id
            self.item_ids = event.item_ids
        elif isinstance(event, ConversationItemsChanged):
            gone = [i for i in self.item_ids or () if i not in event.item_ids]
            self.cancelled_item_ids = (*self.cancelled_item_ids, *gone)
            self.item_ids = event.item_ids
        elif isinstance(event, PrePaymentEnded):
            self.first_billing_is_paid = True
        elif isinstance(event, ConversationClosing):
            self.closes_at, self.order_outcome = event.closes_at, event.order_outcome
        elif isinstance(event, MessagePosted):
            self.message_ids = (*self.message_ids, event.message_id)

    def open(self, customer_id: str, now: datetime, item_ids: list[str]) -> list[object]:
        """Open once, when the order is placed, knowing the order's items."""
        if self.opened:
            return []
        return [ConversationOpened(self.order_id, customer_id, now, tuple(item_ids))]

    def items_changed(self, item_ids: list[str], now: datetime) -> list[object]:
        """The items that remain after the customer changed them before payment (R17)."""
        if self.item_ids == tuple(item_ids):
            return []
        return [ConversationItemsChanged(self.order_id, tuple(item_ids), now)]

    def first_billing_paid(self, now: datetime) -> list[object]:
        """The 1st billing is settled: the items are being purchased, no longer pre-payment."""
        return [] if self.first_billing_is_paid else [PrePaymentEnded(self.order_id, now)]

    def order_ended(self, outcome: str, ended_at: datetime) -> list[object]:
        """The order completed or was cancelled: messages stay possible for 30 days."""
        if self.closes_at is not None:
            return []
        return [ConversationClosing(self.order_id, outcome, ended_at + MESSAGE_WINDOW)]

    def accepts_messages(self, now: datetime) -> bool:
        """True while messages may be posted on this order (R12)."""
        return self.opened and window_open(self.closes_at, now)

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
        if item_id is not None:
            self._require_item(item_id)
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
            item_id,
        )
        if kind != "purchase_condition":
            return [posted]
        if not item_id:
            raise ValidationError("say which item to confirm before purchasing")
        if not text.strip():
            raise ValidationError("say what to confirm with the seller")
        self._require_pre_payment(item_id)
        return [
            posted,
            PurchaseConditionRequested(self.order_id, self.customer_id, item_id, text.strip(), now),
        ]

    def _require_item(self, item_id: str) -> None:
        """A message may only name an item of this order that was not cancelled (R13, R19).

        A conversation stored before messaging kept the items (item_ids None) cannot tell:
        it takes the id as before, and orders still refuses an unknown item there."""
        if self.item_ids is None or item_id in self.item_ids:
            return
        if item_id in self.cancelled_item_ids:
            raise InvalidTransitionError(
                f"item {item_id} was cancelled from order {self.order_id}: "
                "a message can no longer be about it"
            )
        raise ValidationError(
            f"{item_id} is not an item of order {self.order_id}", {"item_id": item_id}
        )

    def _require_pre_payment(self, item_id: str) -> None:
        """A purchase condition only while the item awaits the 1st payment (R13)."""
        if self.order_outcome is not None:
            raise InvalidTransitionError(
                f"order {self.order_id} is {self.order_outcome}: "
                f"item {item_id} will not be purchased"
            )
        if self.first_billing_is_paid:
            raise InvalidTransitionError(
                f"the 1st billing is paid, so item {item_id} is already being purchased: "
                "ask before purchasing only while the billing is unpaid"
            )

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
