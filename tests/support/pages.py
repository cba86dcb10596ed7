"""Driving the gateway's pages in a real browser: signing up and in, filling the order form,
and waiting for a page to show what a background process has done since."""

from __future__ import annotations

import time
from collections.abc import Callable

from playwright.sync_api import Page

from tests.support.system import System


def sign_up(page: Page, system: System, email: str, password: str) -> None:
    """Register through the sign-up page; the browser is then signed in."""
    page.goto(system.url("gateway", "/signup"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/signup'] button[type=submit]")
    page.wait_for_url("**/orders")


def sign_in(page: Page, system: System, email: str, password: str, landing: str) -> None:
    """Sign in through the sign-in page and wait for the landing page."""
    page.goto(system.url("gateway", "/signin"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/signin'] button[type=submit]")
    page.wait_for_url(f"**{landing}")


def fill_order_form(page: Page, items: list[dict[str, str]], address: dict[str, str]) -> None:
    """Fill the order form: one row per item (adding rows as needed) and the address."""
    for n, item in enumerate(items):
        if page.locator(f"input[name='items-{n}-url']").count() == 0:
            page.click("#add-item")
        for field, value in item.items():
            page.fill(f"input[name='items-{n}-{field}']", value)
    for field, value in address.items():
        page.fill(f"input[name='address-{field}']", value)


def reload_until(page: Page, shows: Callable[[], bool], timeout_s: float = 30) -> None:
    """Reload `page` until `shows()` is true (what a customer does waiting for news)."""
    deadline = time.monotonic() + timeout_s
    while not shows():
        if time.monotonic() > deadline:
            raise AssertionError(f"{page.url} did not show it within {timeout_s} s")
        time.sleep(0.3)
        page.reload()
