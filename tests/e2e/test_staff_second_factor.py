"""A staff member's first sign-in in a real browser (R26): the password, then the setup page
with its QR code and key, a code to confirm, the ten recovery codes shown once, the console;
the next sign-in asks for the app's code. A right password alone opens nothing. On a gateway
of its own (the services are not needed to sign in)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page

from services.gateway.adapters.second_factor_store import SecondFactorStore
from services.gateway.bootstrap import Gateway
from services.gateway.domain.second_factor import new_secret
from tests.support.browser import save_screenshot
from tests.support.infra import Infra
from tests.support.pages import set_up_second_factor, type_second_factor_code
from tests.support.second_factor import next_code
from tests.support.standalone_gateway import served, standalone_gateway

PASSWORD = "staff second factor password"


@pytest.fixture(scope="module")
def gateway(infra: Infra) -> Iterator[Gateway]:
    with standalone_gateway(infra) as wired:
        yield wired


@pytest.fixture(scope="module")
def base_url(gateway: Gateway) -> Iterator[str]:
    with served(gateway) as url:
        yield url


def _password(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/signin")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url("**/signin/second-factor")


@pytest.mark.rule("R26")
def test_first_signin_sets_up_the_app_with_a_qr_code_and_later_ones_ask_for_its_code(
    gateway: Gateway, base_url: str, browser: Browser
) -> None:
    email = "first-signin@cnnect.example"
    gateway.accounts.create(email, PASSWORD, "staff")
    page = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
    _password(page, base_url, email)
    qr = page.locator("img.totp-qr")
    assert page.evaluate("img => img.complete && img.naturalWidth > 100", qr.element_handle())
    assert len(page.inner_text("#totp-secret").replace(" ", "")) == 32
    save_screenshot(page, "second-factor-setup-375")
    page.fill("input[name=code]", "123")
    page.click("form[action='/signin/second-factor'] button[type=submit]")
    assert page.locator("#error-code").inner_text().startswith("That code is wrong")
    codes = set_up_second_factor(page, email)
    assert len(set(codes)) == 10
    save_screenshot(page, "second-factor-recovery-codes-375")
    page.click("text=I have saved them, continue")
    page.wait_for_url("**/staff")
    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{base_url}/")
    _password(page, base_url, email)
    assert page.locator("#totp-secret").count() == 0  # set up once: no key shown again
    type_second_factor_code(page, next_code(email))
    page.wait_for_url("**/staff")


@pytest.mark.rule("R26")
def test_a_staff_password_alone_gives_no_session_in_the_browser_nor_the_api(
    gateway: Gateway, base_url: str, browser: Browser
) -> None:
    email = "password-only@cnnect.example"
    account = gateway.accounts.create(email, PASSWORD, "staff")
    factors = SecondFactorStore(gateway.accounts, gateway.settings.identity_secret)
    factors.enrol(account.account_id, new_secret(), None)
    page = browser.new_context().new_page()
    _password(page, base_url, email)
    page.goto(f"{base_url}/staff")
    page.wait_for_url(lambda url: "/signin?next=" in url)  # the console is not open
    cookies = {c["name"] for c in page.context.cookies()}
    assert not any("session" in name for name in cookies), cookies
    api = requests.post(
        f"{base_url}/auth/signin", json={"email": email, "password": PASSWORD}, timeout=10
    )
    assert api.status_code == 401 and api.json()["error"] == "second_factor_required"
    assert not any("session" in name for name in api.cookies.keys())  # noqa: SIM118
