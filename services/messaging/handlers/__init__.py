"""The messaging service's handlers: commands and consumed events."""

from services.messaging.handlers.common import CODEC, CONVERSATIONS, INQUIRIES
from services.messaging.handlers.consumed import event_handlers

__all__ = ["CODEC", "CONVERSATIONS", "INQUIRIES", "event_handlers"]
