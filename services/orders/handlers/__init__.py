"""The orders service's handlers: commands, consumed events, deadlines."""

from services.orders.handlers.common import CODEC, ORDERS
from services.orders.handlers.consumed import EVENT_HANDLERS
from services.orders.handlers.deadlines import deadline_handlers

__all__ = ["CODEC", "EVENT_HANDLERS", "ORDERS", "deadline_handlers"]
