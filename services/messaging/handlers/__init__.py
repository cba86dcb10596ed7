"""The messaging service's handlers: commands and consumed events."""

from services.messaging.handlers.common import CODEC, CONVERSATIONS, INQUIRIES
from services.messaging.handlers.consumed import EVENT_HANDLERS

__all__ = ["CODEC", "CONVERSATIONS", "EVENT_HANDLERS", "INQUIRIES"]
