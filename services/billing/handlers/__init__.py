"""The billing service's handlers: payments, the deposit, consumed events."""

from services.billing.handlers.common import BILLINGS, CODEC, DEPOSITS, billing_id
from services.billing.handlers.consumed import EVENT_HANDLERS

__all__ = ["BILLINGS", "CODEC", "DEPOSITS", "EVENT_HANDLERS", "billing_id"]
