"""A general inquiry, not tied to any order (R12): from a signed-in customer or from a visitor
with an e-mail address; staff answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from services.messaging.domain.conversation import MAX_TEXT, MessagePosted
from shared.domain_errors import NotFoundError, ValidationError
from shared.events.aggregate import EventSourced

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class InquiryOpened:
    inquiry_id: str
    customer_id: str | None
    email: str | None
    subject: str
    opened_at: datetime


EVENT_TYPES: tuple[type, ...] = (InquiryOpened,)


@dataclass
class Inquiry(EventSourced):
    """What an inquiry's history adds up to."""

    inquiry_id: str
    customer_id: str | None = None
    email: str | None = None
    opened: bool = False
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, InquiryOpened):
            self.opened, self.customer_id, self.email = True, event.customer_id, event.email

    def open(
        self,
        message_id: str,
        customer_id: str | None,
        email: str | None,
        subject: str,
        text: str,
        now: datetime,
    ) -> list[object]:
        """Ask a question: a signed-in customer, or a visitor who leaves an e-mail address."""
        if customer_id is None and (email is None or not _EMAIL.match(email)):
            raise ValidationError("a visitor leaves a valid e-mail address to get an answer")
        if not text.strip() or len(text) > MAX_TEXT:
            raise ValidationError(f"an inquiry has 1 to {MAX_TEXT} characters")
        role = "customer" if customer_id else "visitor"
        return [
            InquiryOpened(self.inquiry_id, customer_id, email, subject.strip()[:200], now),
            self._posted(message_id, customer_id, role, text, now),
        ]

    def answer(self, message_id: str, text: str, now: datetime) -> list[object]:
        """Staff answer the inquiry."""
        if not self.opened:
            raise NotFoundError(f"inquiry {self.inquiry_id} not found")
        if not text.strip() or len(text) > MAX_TEXT:
            raise ValidationError(f"an answer has 1 to {MAX_TEXT} characters")
        return [self._posted(message_id, self.customer_id, "staff", text, now)]

    def _posted(
        self, message_id: str, customer_id: str | None, role: str, text: str, now: datetime
    ) -> MessagePosted:
        """A message of this inquiry: no order, no attachments."""
        return MessagePosted(
            message_id, self.inquiry_id, None, customer_id, role, "inquiry", text.strip(), [], now
        )
