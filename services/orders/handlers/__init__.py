"""The orders service's handlers: commands, consumed events, deadlines."""

from services.orders.handlers.common import CODEC, ORDERS
from services.orders.handlers.consumed import event_handlers
from services.orders.handlers.deadlines import deadline_handlers

__all__ = ["CODEC", "ORDERS", "deadline_handlers", "event_handlers"]
