"""The bank's transfer notices (R9, R11) as the bank sends them: the JSON body and the signed
headers, for tests that post them to billing or through the gateway."""

from __future__ import annotations

import json
import time
from datetime import datetime

import requests

from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.support.system import BANK_SECRET, System


def bank_notice(reference: str, amount: str, transaction_id: str) -> bytes:
    """The body of a notice of `amount` EUR received with `reference` (a billing id, or not)."""
    notice = {
        "transaction_id": transaction_id,
        "reference": reference,
        "amount": amount,
        "currency": "EUR",
        "payer_name": "A MARTIN",
    }
    return json.dumps(notice).encode()


def bank_headers(
    body: bytes, secret: str = BANK_SECRET, skew_s: int = 0, now: datetime | None = None
) -> dict[str, str]:
    """The headers that sign `body` with `secret`, stamped `now` (default: the wall clock)
    moved by `skew_s` seconds."""
    timestamp = int(now.timestamp() if now is not None else time.time()) + skew_s
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def send_bank_notice(
    system: System, reference: str, amount: str, transaction_id: str, via: str = "billing"
) -> requests.Response:
    """A genuine notice posted to the bank webhook of `via` (billing, or the gateway)."""
    body = bank_notice(reference, amount, transaction_id)
    return requests.post(
        system.url(via, "/webhooks/bank"), data=body, headers=bank_headers(body), timeout=10
    )
