"""`python -m services.billing send-bank-notice`: be the bank in development (R9, R11).

Sends one transfer notice to `/webhooks/bank`, signed as the bank signs it (HMAC-SHA256 of
"<timestamp>.<body>") with the first secret of `CNNECT_BILLING_BANK_WEBHOOK_SECRETS`, or the
development secret. Refuses to run with CNNECT_ENV=production: there, only the bank sends."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

import requests

from services.billing.config import bank_webhook_secrets
from shared.config import ConfigurationError, load_settings
from shared.money import MINOR_UNITS
from shared.observability.ports import LOCAL_GATEWAY_URL
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

DEFAULT_URL = f"{LOCAL_GATEWAY_URL}/webhooks/bank"  # through the gateway, as the bank would


def _amount(text: str) -> str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount such as 12.34") from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise argparse.ArgumentTypeError(f"{text!r}: a positive amount with at most 2 decimals")
    return str(value.quantize(Decimal("0.01")))


def parser() -> argparse.ArgumentParser:
    """The command line of `send-bank-notice`."""
    cli = argparse.ArgumentParser(
        prog="python -m services.billing send-bank-notice",
        description="Send a signed bank transfer notice, as the bank would (development only).",
    )
    cli.add_argument("--reference", required=True, help="the transfer reference, e.g. CN-...")
    cli.add_argument("--amount", required=True, type=_amount, help="e.g. 12.34")
    cli.add_argument("--currency", default="EUR", choices=sorted(MINOR_UNITS))
    cli.add_argument("--payer-name", default="DEVELOPMENT PAYER")
    cli.add_argument("--transaction-id", default="", help="the bank's id (default: a new one)")
    cli.add_argument("--url", default=DEFAULT_URL)
    return cli


def signed_notice(
    reference: str,
    amount: str,
    currency: str,
    payer_name: str,
    transaction_id: str,
    secret: str,
    timestamp: int,
) -> tuple[bytes, dict[str, str]]:
    """The notice's body and the headers that sign it."""
    body = json.dumps(
        {
            "transaction_id": transaction_id,
            "reference": reference,
            "amount": amount,
            "currency": currency,
            "payer_name": payer_name,
        }
    ).encode()
    headers = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
        "Content-Type": "application/json",
    }
    return body, headers


def main(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Send the notice; print the answer; 0 when billing recorded it (or already had)."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings("billing", dict(os.environ if environ is None else environ))
    except ConfigurationError as exc:
        print(f"send-bank-notice: {exc}")
        return 2
    if settings.production:
        print("send-bank-notice: refused in production; only the bank sends notices there.")
        return 2
    secret = bank_webhook_secrets(settings)[0]  # outside production there is always one
    body, headers = signed_notice(
        args.reference,
        args.amount,
        args.currency,
        args.payer_name,
        args.transaction_id or f"dev-{uuid.uuid4().hex[:12]}",
        secret,
        int(time.time()),
    )
    try:
        answer = requests.post(args.url, data=body, headers=headers, timeout=10)
    except requests.RequestException as exc:
        print(f"send-bank-notice: could not reach {args.url}: {exc}")
        return 1
    print(f"{answer.status_code} {answer.text.strip()}")
    return 0 if answer.status_code in (200, 202) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
