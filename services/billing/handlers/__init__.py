"""The billing service's handlers: payments, the deposit, consumed events."""

from services.billing.handlers.common import BILLINGS, CODEC, DEPOSITS, billing_id
from services.billing.handlers.consumed import event_handlers

__all__ = ["BILLINGS", "CODEC", "DEPOSITS", "billing_id", "event_handlers"]
