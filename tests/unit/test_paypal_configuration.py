"""Where billing finds PayPal, by mode (R10, R11): production talks to PayPal's own API and
certificate hosts only, and never starts pointed at the development stand-in; `make run` in
development starts the stand-in and points billing at it, unless given a PayPal of its own."""

from __future__ import annotations

import re

import pytest

from deploy.paypal_standin.launching import STANDIN_NAME, STANDIN_PORT, standin_setup
from deploy.procfile import read_procfile
from services.billing.bootstrap import DEFINITION
from services.billing.config import paypal_settings
from shared.config import ConfigurationError, load_settings
from tests.deploy.procfile import PROCFILE

PRODUCTION = {
    "CNNECT_ENV": "production",
    "CNNECT_IDENTITY_SECRET": "a production secret",
    "CNNECT_BILLING_BANK_ACCOUNT": "bank=B;branch=C;type=Ordinary;number=1234567;holder=CNNECT",
    "CNNECT_BILLING_PAYPAL_CLIENT_ID": "live-client",
    "CNNECT_BILLING_PAYPAL_CLIENT_SECRET": "live-secret",
    "CNNECT_BILLING_PAYPAL_WEBHOOK_ID": "8PT597110X687430LKGECATA",
}
_, STANDIN = standin_setup({}, 8100)  # what `make run` gives billing in development


@pytest.mark.rule("R10")
@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:{STANDIN_PORT}",  # the stand-in
        "http://api-m.sandbox.paypal.com",  # PayPal, but not over https
        "https://api-m.paypal.com.evil.example",
    ],
)
def test_production_billing_refuses_a_paypal_url_that_is_not_paypals_api(url: str) -> None:
    env = {**PRODUCTION, "CNNECT_BILLING_PAYPAL_BASE_URL": url}
    with pytest.raises(ConfigurationError, match="CNNECT_BILLING_PAYPAL_BASE_URL"):
        paypal_settings(load_settings("billing", env))


@pytest.mark.rule("R11")
def test_production_billing_refuses_a_certificate_host_that_is_not_paypals() -> None:
    env = {**PRODUCTION, "CNNECT_BILLING_PAYPAL_CERT_HOSTS": "api-m.paypal.com,127.0.0.1"}
    with pytest.raises(ConfigurationError, match=re.escape("127.0.0.1")):
        paypal_settings(load_settings("billing", env))


@pytest.mark.rule("R11")
def test_production_never_accepts_a_local_certificate_even_when_asked() -> None:
    env = {**PRODUCTION, "CNNECT_BILLING_PAYPAL_ALLOW_INSECURE_LOCAL_CERTS": "1"}
    found = paypal_settings(load_settings("billing", env))
    assert found.base_url == "https://api-m.sandbox.paypal.com"  # the default: the sandbox
    assert not found.allow_insecure_local_certs


@pytest.mark.rule("R10")
def test_production_billing_with_the_live_api_starts() -> None:
    env = {**PRODUCTION, "CNNECT_BILLING_PAYPAL_BASE_URL": "https://api-m.paypal.com"}
    assert DEFINITION.config(load_settings("billing", env)) is not None


@pytest.mark.rule("R10")
def test_billing_does_not_start_in_production_pointed_at_the_stand_in() -> None:
    with pytest.raises(ConfigurationError, match="must be PayPal's API in production"):
        DEFINITION.config(load_settings("billing", {**PRODUCTION, **STANDIN}))


def test_in_development_billing_takes_the_stand_in_and_its_certificate_host() -> None:
    found = paypal_settings(load_settings("billing", STANDIN))
    assert found.base_url == f"http://127.0.0.1:{STANDIN_PORT}"
    assert found.cert_hosts == frozenset({"127.0.0.1"})
    assert found.allow_insecure_local_certs
    assert DEFINITION.config(load_settings("billing", STANDIN)) is not None


def test_make_run_in_development_adds_the_stand_in_sending_webhooks_to_the_gateway() -> None:
    entries, settings = standin_setup({}, 8300)
    assert set(entries) == {STANDIN_NAME}
    assert STANDIN_NAME not in read_procfile(PROCFILE)  # never a deployed process
    command = entries[STANDIN_NAME]
    assert f"--port {STANDIN_PORT}" in command
    assert "--webhook-target http://127.0.0.1:8300/webhooks/paypal" in command
    assert f"--webhook-id {settings['CNNECT_BILLING_PAYPAL_WEBHOOK_ID']}" in command
    assert f"--client-id {settings['CNNECT_BILLING_PAYPAL_CLIENT_ID']}" in command


@pytest.mark.parametrize(
    "environ",
    [
        {"CNNECT_ENV": "production"},
        {"CNNECT_BILLING_PAYPAL_BASE_URL": "https://api-m.sandbox.paypal.com"},
    ],
)
def test_make_run_starts_no_stand_in_in_production_or_with_a_paypal_of_its_own(
    environ: dict[str, str],
) -> None:
    assert standin_setup(environ, 8100) == ({}, {})
