"""The PayPal adapter against a local fake PayPal over real HTTP: orders, retries and webhook
signature verification (R11); what a capture notice says is tests/unit/
test_paypal_capture_notices.py's."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from deploy.paypal_standin import PayPalStandIn, capture_completed_event, running_standin
from services.billing.adapters.paypal import (
    PayPalRejectedError,
    PayPalUnavailableError,
    WebhookVerificationError,
)
from services.billing.adapters.paypal_client import RETRY_ATTEMPTS, PayPalClient
from services.billing.adapters.paypal_webhooks import PAYPAL_CERT_HOSTS, PayPalWebhookVerifier
from shared.money import Money
from shared.web.identity import UnauthorizedError

WEBHOOK_ID = "8PT597110X687430LKGECATA"
RETURN_URL = "https://cnnect.example/billing/b-1/paid"
CANCEL_URL = "https://cnnect.example/billing/b-1"


@pytest.fixture
def fake() -> Iterator[PayPalStandIn]:
    with running_standin() as server:
        yield server


@pytest.fixture
def client(fake: PayPalStandIn) -> Iterator[PayPalClient]:
    with PayPalClient(fake.base_url, fake.client_id, fake.client_secret, timeout=5) as paypal:
        yield paypal


@pytest.fixture
def verifier() -> PayPalWebhookVerifier:
    return PayPalWebhookVerifier(
        WEBHOOK_ID, frozenset({"127.0.0.1"}), allow_insecure_local_certs=True
    )


def _order(client: PayPalClient, request_id: str, amount: Money | None = None) -> str:
    created = client.create_order(
        "b-1", amount or Money.of("12.5", "USD"), request_id, RETURN_URL, CANCEL_URL
    )
    return created.order_id


# --- orders --------------------------------------------------------------------------------------
def test_creating_an_order_returns_the_approval_link(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    created = client.create_order("b-1", Money.of("12.5", "USD"), "req-1", RETURN_URL, CANCEL_URL)
    assert created.approval_url == f"{fake.base_url}/checkoutnow?token={created.order_id}"
    assert created.status == "PAYER_ACTION_REQUIRED"
    sent = fake.orders[created.order_id]
    assert sent["intent"] == "CAPTURE"
    unit = sent["purchase_units"][0]
    assert unit["reference_id"] == unit["custom_id"] == "b-1"
    assert unit["amount"] == {"currency_code": "USD", "value": "12.50"}
    context = sent["payment_source"]["paypal"]["experience_context"]
    assert (context["return_url"], context["cancel_url"]) == (RETURN_URL, CANCEL_URL)


def test_amounts_are_sent_with_the_currencys_decimals(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    order_id = _order(client, "req-jpy", Money.of("1500", "JPY"))
    assert fake.orders[order_id]["purchase_units"][0]["amount"] == {
        "currency_code": "JPY",
        "value": "1500",
    }


def test_an_amount_finer_than_the_currency_is_refused_before_calling(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    with pytest.raises(ValueError, match="decimals"):
        _order(client, "req-x", Money(Decimal("12.345"), "USD"))
    assert fake.order_requests == 0


def test_the_same_paypal_request_id_twice_gives_one_order(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    first, again = _order(client, "req-same"), _order(client, "req-same")
    assert first == again
    assert list(fake.orders) == [first]
    assert _order(client, "req-other") != first


def test_the_token_is_fetched_once_and_reused(fake: PayPalStandIn, client: PayPalClient) -> None:
    _order(client, "req-a")
    _order(client, "req-b")
    assert fake.token_requests == 1


def test_a_token_paypal_no_longer_accepts_is_renewed(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    _order(client, "req-a")
    fake.revoke_tokens()
    _order(client, "req-b")
    assert fake.token_requests == 2
    assert len(fake.orders) == 2


def test_a_503_on_the_token_and_a_429_are_retried(
    fake: PayPalStandIn, client: PayPalClient
) -> None:
    fake.fail_next("/v1/oauth2/token", 503)
    fake.fail_next("/v2/checkout/orders", 429, retry_after="0")
    _order(client, "req-429")
    assert (fake.token_requests, fake.order_requests, len(fake.orders)) == (2, 2, 1)


def test_retries_are_bounded(fake: PayPalStandIn, client: PayPalClient) -> None:
    fake.fail_next("/v2/checkout/orders", 503, times=100)
    with pytest.raises(PayPalUnavailableError) as raised:
        _order(client, "req-down")
    assert raised.value.status == 503
    assert fake.order_requests == RETRY_ATTEMPTS


def test_a_rejection_is_not_retried(fake: PayPalStandIn, client: PayPalClient) -> None:
    fake.fail_next("/v2/checkout/orders", 422)
    with pytest.raises(PayPalRejectedError) as raised:
        _order(client, "req-422")
    assert raised.value.status == 422
    assert fake.order_requests == 1


def test_wrong_credentials_are_rejected_not_retried(fake: PayPalStandIn) -> None:
    with (
        PayPalClient(fake.base_url, fake.client_id, "wrong-secret") as paypal,
        pytest.raises(PayPalRejectedError) as raised,
    ):
        _order(paypal, "req-creds")
    assert (raised.value.status, raised.value.name) == (401, "invalid_client")
    assert (fake.token_requests, fake.order_requests) == (1, 0)


def test_an_unreachable_paypal_is_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        PayPalClient(f"http://127.0.0.1:{port}", "id", "secret", timeout=1) as paypal,
        pytest.raises(PayPalUnavailableError),
    ):
        _order(paypal, "req-gone")


# --- webhook verification (R11) -------------------------------------------------------------
def _delivery(
    fake: PayPalStandIn, transmission_time: datetime | None = None, cert_url: str | None = None
) -> tuple[dict[str, str], bytes]:
    event = capture_completed_event("ORDER-1", "b-1", Money.of("12.50", "USD"))
    return fake.signed_webhook(
        event, WEBHOOK_ID, transmission_time=transmission_time, cert_url=cert_url
    )


def test_a_correctly_signed_webhook_verifies(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    headers, body = _delivery(fake)
    verifier.verify(headers, body, datetime.now(UTC))
    lower_case = {name.lower(): value for name, value in headers.items()}
    verifier.verify(lower_case, body, datetime.now(UTC))


@pytest.mark.rule("R11")
def test_one_changed_body_byte_is_rejected(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    headers, body = _delivery(fake)
    tampered = body.replace(b'"value":"12.50"', b'"value":"12.51"')
    assert len(tampered) == len(body) and tampered != body
    with pytest.raises(WebhookVerificationError, match="signature does not match"):
        verifier.verify(headers, tampered, datetime.now(UTC))


@pytest.mark.rule("R11")
def test_a_delivery_for_another_webhook_id_is_rejected(fake: PayPalStandIn) -> None:
    headers, body = _delivery(fake)
    other = PayPalWebhookVerifier(
        "ANOTHER-WEBHOOK", frozenset({"127.0.0.1"}), allow_insecure_local_certs=True
    )
    with pytest.raises(WebhookVerificationError, match="signature does not match"):
        other.verify(headers, body, datetime.now(UTC))


@pytest.mark.rule("R11")
@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6), timedelta(days=3)])
def test_a_transmission_time_over_five_minutes_from_now_is_rejected(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier, age: timedelta
) -> None:
    now = datetime.now(UTC)
    headers, body = _delivery(fake, transmission_time=now - age)
    with pytest.raises(WebhookVerificationError, match="transmission time"):
        verifier.verify(headers, body, now)
    assert fake.cert_fetches == 0


@pytest.mark.rule("R11")
def test_a_cert_url_on_a_foreign_host_is_rejected_without_fetching(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    # localhost serves the very certificate that signed it, but is not on the allowlist.
    foreign = fake.cert_url.replace("127.0.0.1", "localhost")
    headers, body = _delivery(fake, cert_url=foreign)
    with pytest.raises(WebhookVerificationError, match="not PayPal's"):
        verifier.verify(headers, body, datetime.now(UTC))
    assert fake.cert_fetches == 0


@pytest.mark.rule("R11")
@pytest.mark.parametrize(
    "cert_url",
    [
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
        "https://evil.example/v1/notifications/certs/CERT-1?host=api.paypal.com",
        "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
        "https://user@api.paypal.com/v1/notifications/certs/CERT-1",
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
    ],
)
def test_production_accepts_only_paypal_hosts_over_https(
    fake: PayPalStandIn, cert_url: str
) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return fake.cert_pem

    production = PayPalWebhookVerifier(WEBHOOK_ID, PAYPAL_CERT_HOSTS, fetch_cert=fetch)
    headers, body = _delivery(fake, cert_url=cert_url)
    with pytest.raises(WebhookVerificationError):
        production.verify(headers, body, datetime.now(UTC))
    assert fetched == []


@pytest.mark.rule("R11")
def test_plain_http_to_localhost_needs_the_explicit_flag(fake: PayPalStandIn) -> None:
    strict = PayPalWebhookVerifier(WEBHOOK_ID, frozenset({"127.0.0.1"}))
    headers, body = _delivery(fake)
    with pytest.raises(WebhookVerificationError, match="not https"):
        strict.verify(headers, body, datetime.now(UTC))
    assert fake.cert_fetches == 0


@pytest.mark.rule("R11")
def test_a_signature_by_another_key_is_rejected(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    with running_standin(fresh_key=True) as impostor:
        headers, body = _delivery(impostor, cert_url=fake.cert_url)
    with pytest.raises(WebhookVerificationError, match="signature does not match"):
        verifier.verify(headers, body, datetime.now(UTC))


@pytest.mark.rule("R11")
@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("PAYPAL-TRANSMISSION-SIG", None, "missing header"),
        ("PAYPAL-AUTH-ALGO", "SHA1withRSA", "unsupported auth algorithm"),
        ("PAYPAL-TRANSMISSION-SIG", "not base64!", "base64"),
        ("PAYPAL-TRANSMISSION-TIME", "yesterday", "unreadable"),
    ],
)
def test_malformed_signature_headers_are_rejected(
    fake: PayPalStandIn,
    verifier: PayPalWebhookVerifier,
    header: str,
    value: str | None,
    reason: str,
) -> None:
    headers, body = _delivery(fake)
    if value is None:
        del headers[header]
    else:
        headers[header] = value
    with pytest.raises(WebhookVerificationError, match=reason) as raised:
        verifier.verify(headers, body, datetime.now(UTC))
    assert isinstance(raised.value, UnauthorizedError)


def test_certificates_are_fetched_once_and_cached(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    for _ in range(3):
        headers, body = _delivery(fake)
        verifier.verify(headers, body, datetime.now(UTC))
    assert fake.cert_fetches == 1


def test_a_certificate_that_cannot_be_downloaded_now_is_unavailable_not_forged(
    fake: PayPalStandIn, verifier: PayPalWebhookVerifier
) -> None:
    fake.fail_next(fake.cert_path, 503)
    headers, body = _delivery(fake)
    with pytest.raises(PayPalUnavailableError):
        verifier.verify(headers, body, datetime.now(UTC))
    verifier.verify(headers, body, datetime.now(UTC))  # PayPal redelivers; now it passes
