"""A local stand-in for PayPal's sandbox, for development only (see server.py)."""

from __future__ import annotations

from deploy.paypal_standin.delivery import WebhookDelivery
from deploy.paypal_standin.events import (
    capture_completed_event,
    capture_denied_event,
    capture_event,
    capture_pending_event,
    capture_refunded_event,
)
from deploy.paypal_standin.server import (
    DEFAULT_WEBHOOK_ID,
    PayPalStandIn,
    running_standin,
)

__all__ = [
    "DEFAULT_WEBHOOK_ID",
    "PayPalStandIn",
    "WebhookDelivery",
    "capture_completed_event",
    "capture_denied_event",
    "capture_event",
    "capture_pending_event",
    "capture_refunded_event",
    "running_standin",
]
