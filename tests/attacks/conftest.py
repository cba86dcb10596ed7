"""One running system (with a local fake PayPal) for every attack module: starting the whole
system once keeps the attacks' time small. Each test makes its own objects; ids are random,
so no attack can reach another test's objects by guessing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from deploy.paypal_standin import PayPalStandIn, running_standin
from tests.support.infra import Infra
from tests.support.system import System, running_system


@pytest.fixture(scope="package")
def paypal() -> Iterator[PayPalStandIn]:
    with running_standin() as fake:
        yield fake


@pytest.fixture(scope="package")
def system(
    infra: Infra, paypal: PayPalStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    env = paypal.billing_env()
    with running_system(infra, tmp_path_factory.mktemp("attack-logs"), env) as running:
        yield running
