"""The tests' PayPal is the development stand-in itself (deploy/paypal_standin): these names
are kept for the tests and the benchmark that import them from here."""

from __future__ import annotations

from deploy.paypal_standin import (
    DEFAULT_WEBHOOK_ID,
    WebhookDelivery,
    capture_completed_event,
    capture_denied_event,
    capture_pending_event,
    capture_refunded_event,
)
from deploy.paypal_standin import PayPalStandIn as FakePayPal
from deploy.paypal_standin import running_standin as running_fake_paypal

__all__ = [
    "DEFAULT_WEBHOOK_ID",
    "FakePayPal",
    "WebhookDelivery",
    "capture_completed_event",
    "capture_denied_event",
    "capture_pending_event",
    "capture_refunded_event",
    "running_fake_paypal",
]
