"""What every messaging handler shares: the codec and the repositories."""

from __future__ import annotations

import uuid

from services.messaging.domain import conversation, inquiry
from services.messaging.domain.conversation import Conversation
from services.messaging.domain.inquiry import Inquiry
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository

CODEC = EventCodec(conversation.EVENT_TYPES + inquiry.EVENT_TYPES, CONTRACTS)
CONVERSATIONS: Repository[Conversation] = Repository("conversation", CODEC, Conversation.replay)
INQUIRIES: Repository[Inquiry] = Repository("inquiry", CODEC, Inquiry.replay)


def new_id(prefix: str) -> str:
    """A new message or inquiry id."""
    return f"{prefix}-{uuid.uuid4().hex[:16]}"
