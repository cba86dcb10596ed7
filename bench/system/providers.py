"""What the payment providers send: PayPal's signed capture notice and the bank's
HMAC-signed transfer notice, both to the gateway's webhooks."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal
from typing import Any

from bench.system.client import Http
from deploy.paypal_standin import PayPalStandIn, capture_completed_event
from shared.money import Money
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


async def paypal_capture(
    http: Http, paypal: PayPalStandIn, checkout: dict[str, Any], billing_id: str
) -> None:
    """PAYMENT.CAPTURE.COMPLETED for a checkout's total, signed as PayPal signs it."""
    total = Money(Decimal(checkout["total"]), checkout["currency"])
    event = capture_completed_event(checkout["paypal_order_id"], billing_id, total)
    headers, body = paypal.signed_webhook(event, paypal.webhook_id)
    await http.request("POST", "/webhooks/paypal", headers=headers, data=body)


async def bank_notice(http: Http, secret: str, billing_id: str, amount: str, currency: str) -> None:
    """The bank's notice that the customer's transfer of `amount` arrived."""
    body = json.dumps(
        {
            "transaction_id": f"TX-{uuid.uuid4().hex[:12]}",
            "reference": billing_id,
            "amount": amount,
            "currency": currency,
            "payer_name": "Bench Customer",
        }
    ).encode()
    now = int(time.time())
    headers = {
        TIMESTAMP_HEADER: str(now),
        SIGNATURE_HEADER: sign(secret, now, body),
        "Content-Type": "application/json",
    }
    await http.request("POST", "/webhooks/bank", headers=headers, data=body)
