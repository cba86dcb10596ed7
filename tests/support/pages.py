"""Driving the gateway's pages in a real browser: signing up and in, filling the order form,
and waiting for a page to show what a background process has done since; and reading one
queue of the staff console's page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from playwright.sync_api import Page

from tests.support.second_factor import keep_secret, next_code, secret_of
from tests.support.system import System


def _send_password(page: Page, system: System, form: str, email: str, password: str) -> None:
    """Type the e-mail and password into the page `form` (/signup or /signin) and send it."""
    page.goto(system.url("gateway", form))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click(f"form[action='{form}'] button[type=submit]")


def sign_up(page: Page, system: System, email: str, password: str) -> None:
    """Register through the sign-up page; the browser is then signed in."""
    _send_password(page, system, "/signup", email, password)
    page.wait_for_url("**/orders")


def sign_in(page: Page, system: System, email: str, password: str, landing: str) -> None:
    """Sign in through the sign-in page and wait for the landing page; a staff account made
    with create_staff then types its authenticator's code (R26)."""
    _send_password(page, system, "/signin", email, password)
    if secret_of(email):
        type_second_factor_code(page, next_code(email))
    page.wait_for_url(f"**{landing}")


def set_up_second_factor(page: Page, email: str) -> list[str]:
    """On the setup page of a first staff sign-in: add the key to "the app" (kept for later
    codes), confirm with its code; the recovery codes shown once, still on their page."""
    page.wait_for_url("**/signin/second-factor")
    keep_secret(email, page.inner_text("#totp-secret"))
    page.fill("input[name=code]", next_code(email))
    page.click("form[action='/signin/second-factor'] button[type=submit]")
    page.wait_for_selector("#recovery-codes")
    return [code.strip() for code in page.locator("#recovery-codes code").all_inner_texts()]


def walk_first_staff_signin(
    page: Page, system: System, email: str, password: str, visit: Callable[[Page, str], None]
) -> None:
    """A staff or admin account's first sign-in and a later one, through every page of the
    second factor (R26), calling `visit(page, name)` on each as it shows: the setup page, it
    refused, the recovery codes, the staff accounts page (for an admin), the code page."""
    sign_in(page, system, email, password, "/signin/second-factor")
    visit(page, "second-factor-setup")
    page.fill("input[name=code]", "000000")
    page.click("form[action='/signin/second-factor'] button[type=submit]")
    page.wait_for_selector("#error-code")
    visit(page, "second-factor-setup-refused")
    set_up_second_factor(page, email)
    visit(page, "second-factor-recovery-codes")
    page.click("#recovery-codes-saved")
    page.wait_for_url("**/staff")
    page.goto(system.url("gateway", "/staff/accounts"))
    visit(page, "staff-accounts")
    page.click("form[action='/signout'] button[type=submit]")
    page.wait_for_url(system.url("gateway", "/"))
    _send_password(page, system, "/signin", email, password)
    page.wait_for_url("**/signin/second-factor")
    visit(page, "second-factor-code")
    type_second_factor_code(page, next_code(email))
    page.wait_for_url("**/staff")


def type_second_factor_code(page: Page, code: str) -> None:
    """On the second factor's page (after a staff password), type `code` and send it."""
    page.wait_for_url("**/signin/second-factor")
    page.fill("input[name=code]", code)
    page.click("form[action='/signin/second-factor'] button[type=submit]")


def fill_order_form(page: Page, items: list[dict[str, str]], address: dict[str, str]) -> None:
    """Fill the order form: one row per item (adding rows as needed) and the address."""
    for n, item in enumerate(items):
        if page.locator(f"input[name='items-{n}-url']").count() == 0:
            page.click("#add-item")
        for field, value in item.items():
            page.fill(f"input[name='items-{n}-{field}']", value)
    for field, value in address.items():
        page.fill(f"input[name='address-{field}']", value)


def apply_for_order(
    page: Page, system: System, items: list[dict[str, str]], address: dict[str, str]
) -> str:
    """Apply for an order through the order form (filled by fill_order_form); its id, read on
    the new order's page."""
    page.goto(system.url("gateway", "/orders/new"))
    fill_order_form(page, items, address)
    page.click("#order-form button[type=submit]")
    page.wait_for_url("**/orders/ord-*")
    return page.locator("#order-id").inner_text()


def reload_until(page: Page, shows: Callable[[], bool], timeout_s: float = 30) -> None:
    """Reload `page` until `shows()` is true (what a customer does waiting for news)."""
    deadline = time.monotonic() + timeout_s
    while not shows():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} did not show it within {timeout_s} s")
        time.sleep(0.3)
        page.reload()


def staff_queue(html: str, slug: str) -> str:
    """One queue's part of the staff console's page (`slug` as in its id, `queue-<slug>`)."""
    found = re.search(
        rf'<div class="queue" id="queue-{slug}">(.*?)(?=<div class="queue"|</section>)',
        html,
        re.DOTALL,
    )
    assert found is not None, f"no queue {slug}"
    return found.group(1)
