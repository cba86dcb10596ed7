"""The end-to-end modules' own fixtures: a browser, a placed order, and PayPal's webhooks sent
to the gateway. The system itself (`system`, shared by the modules that need nothing of their
own; `system_env`, `paypal`, `smtp`) comes from tests/support/system_fixtures.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from deploy.paypal_standin import PayPalStandIn
from tests.support.browser import launch_chromium
from tests.support.journey import Journey
from tests.support.system import System


@pytest.fixture(scope="module")
def paypal_notifies_the_gateway(paypal: PayPalStandIn, system: System) -> Iterator[None]:
    """`paypal` sends its webhooks to the gateway, as PayPal notifies the address configured
    in its dashboard (without it, the tests send them), for this module's tests."""
    paypal.webhook_target = system.url("gateway", "/webhooks/paypal")
    yield
    paypal.webhook_target = None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """A headless Chromium (watching for CSP violations)."""
    with launch_chromium() as chromium:
        yield chromium


@pytest.fixture
def journey(system: System) -> Journey:
    """A new customer whose order (the usual two items) is placed, placed directly at the
    services."""
    placed = Journey(system, f"cus-{uuid.uuid4().hex[:8]}")
    placed.place()
    return placed
