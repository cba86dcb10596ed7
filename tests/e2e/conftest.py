"""The end-to-end modules' shared fixtures: each module starts its own whole system (`system`,
with what the module's `system_env` adds to its environment; a module that needs another kind
defines its own), and takes the stand-ins it talks to (PayPal, an SMTP server) and a browser
from here."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from deploy.paypal_standin import PayPalStandIn, running_standin
from tests.support.browser import launch_chromium
from tests.support.infra import Infra
from tests.support.journey import Journey
from tests.support.smtp_server import SmtpTestServer
from tests.support.system import System, running_system


@pytest.fixture(scope="module")
def system_env() -> dict[str, str]:
    """What a module adds to its system's environment (a module overrides it)."""
    return {}


@pytest.fixture(scope="module")
def system(
    infra: Infra, system_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[System]:
    """The whole system, started for one module's tests."""
    with running_system(infra, tmp_path_factory.mktemp("logs"), system_env) as running:
        yield running


@pytest.fixture(scope="module")
def paypal() -> Iterator[PayPalStandIn]:
    """A local PayPal stand-in (a module's `system_env` points billing at it)."""
    with running_standin() as standin:
        yield standin


@pytest.fixture(scope="module")
def paypal_notifies_the_gateway(paypal: PayPalStandIn, system: System) -> None:
    """`paypal` sends its webhooks to the gateway, as PayPal notifies the address configured
    in its dashboard (without it, the tests send them)."""
    paypal.webhook_target = system.url("gateway", "/webhooks/paypal")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpTestServer]:
    """A real SMTP server for messaging to send to."""
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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
