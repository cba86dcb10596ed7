"""One running system (with a local fake PayPal) for every attack module: starting the whole
system once keeps the attacks' time small. Each test makes its own objects; ids are random,
so no attack can reach another test's objects by guessing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_paypal import DEFAULT_WEBHOOK_ID, FakePayPal, running_fake_paypal
from tests.support.infra import Infra
from tests.support.system import System, running_system


@pytest.fixture(scope="package")
def paypal() -> Iterator[FakePayPal]:
    with running_fake_paypal() as fake:
        yield fake


@pytest.fixture(scope="package")
def system(
    infra: Infra, paypal: FakePayPal, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    env = {
        "CNNECT_BILLING_PAYPAL_BASE_URL": paypal.base_url,
        "CNNECT_BILLING_PAYPAL_CLIENT_ID": paypal.client_id,
        "CNNECT_BILLING_PAYPAL_CLIENT_SECRET": paypal.client_secret,
        "CNNECT_BILLING_PAYPAL_WEBHOOK_ID": DEFAULT_WEBHOOK_ID,
        "CNNECT_BILLING_PAYPAL_CERT_HOSTS": "127.0.0.1",
        "CNNECT_BILLING_PAYPAL_ALLOW_INSECURE_LOCAL_CERTS": "1",
    }
    with running_system(infra, tmp_path_factory.mktemp("attack-logs"), env) as running:
        yield running
