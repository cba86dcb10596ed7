"""`python -m services.billing send-bank-notice` (R9, R11): the development bank signs its
notice as the real bank does, and refuses to play the bank in production."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from services.billing.config import DEV_BANK_SECRET
from services.billing.entrypoints.send_bank_notice import main, parser, signed_notice
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, HmacWebhookVerifier


@pytest.mark.rule("R11")
def test_R11_the_notice_it_sends_is_one_billings_verifier_accepts() -> None:
    now = int(time.time())
    body, headers = signed_notice("CN-DNQQN-4GKET-B", "19.33", "EUR", "A", "tx-1", "s3", now)
    HmacWebhookVerifier(("s3",)).verify(
        headers[TIMESTAMP_HEADER],
        headers[SIGNATURE_HEADER],
        body,
        datetime.fromtimestamp(now, UTC),
    )
    assert json.loads(body) == {
        "transaction_id": "tx-1",
        "reference": "CN-DNQQN-4GKET-B",
        "amount": "19.33",
        "currency": "EUR",
        "payer_name": "A",
    }


def test_it_refuses_to_play_the_bank_in_production(capsys: pytest.CaptureFixture[str]) -> None:
    environ = {"CNNECT_ENV": "production", "CNNECT_IDENTITY_SECRET": "x" * 32}
    argv = ["--reference", "CN-X", "--amount", "1.00", "--url", "http://127.0.0.1:9/"]
    assert main(argv, environ) == 2
    assert "refused in production" in capsys.readouterr().out


def test_an_amount_it_cannot_send_exactly_is_refused_before_anything_is_sent() -> None:
    for amount in ("1.234", "-1", "0", "abc", "NaN"):
        with pytest.raises(SystemExit):
            parser().parse_args(["--reference", "CN-X", "--amount", amount])
    assert parser().parse_args(["--reference", "R", "--amount", "12.3"]).amount == "12.30"


def test_the_development_secret_is_the_one_billing_accepts_in_development() -> None:
    now = int(time.time())
    body, headers = signed_notice("R", "1.00", "EUR", "", "tx", DEV_BANK_SECRET, now)
    HmacWebhookVerifier((DEV_BANK_SECRET,)).verify(
        headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], body, datetime.fromtimestamp(now, UTC)
    )
