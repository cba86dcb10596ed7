"""One running system (with a local fake PayPal) for every attack module: starting the whole
system once keeps the attacks' time small. Each test makes its own objects; ids are random,
so no attack can reach another test's objects by guessing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_paypal import FakePayPal, running_fake_paypal
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
    env = paypal.billing_env()
    with running_system(infra, tmp_path_factory.mktemp("attack-logs"), env) as running:
        yield running
