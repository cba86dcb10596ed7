"""What every messaging handler shares: the codec, the repositories, and sealing the personal
fields of the events a command or a consumed event decided."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence

from services.messaging.domain import conversation, forgetting, inquiry
from services.messaging.domain.conversation import Conversation
from services.messaging.domain.forgetting import ForgottenCustomer
from services.messaging.domain.inquiry import Inquiry
from services.messaging.personal import PERSONAL_DATA, is_visitor
from shared.domain_errors import CustomerForgottenError
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN

CODEC = EventCodec(
    conversation.EVENT_TYPES + inquiry.EVENT_TYPES + forgetting.EVENT_TYPES, CONTRACTS
)
CONVERSATIONS: Repository[Conversation] = Repository("conversation", CODEC, Conversation.replay)
INQUIRIES: Repository[Inquiry] = Repository("inquiry", CODEC, Inquiry.replay)
CUSTOMERS: Repository[ForgottenCustomer] = Repository("customer", CODEC, ForgottenCustomer.replay)

# The sealed fields of each event type, as PERSONAL_DATA declares them (all top-level here).
_SEALED_FIELDS = {fields.event_type: fields.paths for fields in PERSONAL_DATA.events}


def new_id(prefix: str) -> str:
    """A new message or inquiry id."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def sealed(
    personal: PersonalData, events: Sequence[object], *, forgotten_ok: bool = False
) -> list[object]:
    """`events` with their personal fields sealed under the event's customer; a visitor's
    stay plain. For a forgotten customer, CustomerForgottenError (a command refused), or, with
    `forgotten_ok` (a consumed event that must still be applied), "forgotten customer"."""
    result = []
    for event in events:
        paths = _SEALED_FIELDS.get(type(event).__name__, ())
        owner = getattr(event, "customer_id", None)
        if not paths or owner is None or is_visitor(owner):
            result.append(event)
            continue
        changes = {}
        for path in paths:
            value = getattr(event, path)
            if not value:
                continue
            try:
                changes[path] = personal.seal(owner, value)
            except CustomerForgottenError:
                if not forgotten_ok:
                    raise
                changes[path] = FORGOTTEN
        result.append(dataclasses.replace(event, **changes))  # type: ignore[type-var]
    return result
