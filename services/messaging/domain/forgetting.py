"""A customer forgotten at their request (GDPR art. 17): recorded once, in the stream
`customer-<id>`; the event tells every service to let go of what it keeps of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.aggregate import EventSourced


@dataclass(frozen=True)
class CustomerForgotten:
    customer_id: str
    forgotten_at: datetime


EVENT_TYPES: tuple[type, ...] = (CustomerForgotten,)


@dataclass
class ForgottenCustomer(EventSourced):
    """Whether (and since when) a customer is forgotten."""

    customer_id: str
    forgotten_at: datetime | None = None
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, CustomerForgotten):
            self.forgotten_at = event.forgotten_at

    def forget(self, now: datetime) -> list[object]:
        """Forget the customer, once: a second request records nothing."""
        if self.forgotten_at is not None:
            return []
        return [CustomerForgotten(self.customer_id, now)]
