"""Delivering a webhook as PayPal does: signed afresh each attempt, retried with growing waits
while the receiver fails (PayPal retries for days; a development tool gives up in seconds)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

DELIVERY_ATTEMPTS = 5
FIRST_RETRY_WAIT_S = 0.25

Signer = Callable[[dict[str, Any]], tuple[dict[str, str], bytes]]


@dataclass(frozen=True)
class WebhookDelivery:
    """A webhook sent to `target` (None: no webhook_target set, not sent)."""

    event: dict[str, Any]
    target: str | None
    status: int | None  # the target's last answer; None when not sent or unreachable
    error: str | None = None
    attempts: int = 0


def deliver_with_retries(event: dict[str, Any], target: str, sign: Signer) -> WebhookDelivery:
    """POST `event`, signed by `sign`, until `target` answers 2xx or the attempts run out."""
    status: int | None = None
    problem: str | None = None
    attempt = 0
    for attempt in range(1, DELIVERY_ATTEMPTS + 1):
        headers, body = sign(event)
        try:
            status = requests.post(target, data=body, headers=headers, timeout=10).status_code
            problem = None
        except requests.RequestException as exc:
            status, problem = None, str(exc)
        if status is not None and 200 <= status < 300:
            break
        if attempt < DELIVERY_ATTEMPTS:
            time.sleep(FIRST_RETRY_WAIT_S * 2 ** (attempt - 1))
    return WebhookDelivery(event, target, status, problem, attempt)
