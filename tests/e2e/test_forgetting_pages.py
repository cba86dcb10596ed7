"""The forgetting pages in a real browser, at a laptop's and a phone's width (issue 21): the
account page's "Your data" section refused (wrong password) and held (an open order), the
page saying the customer is forgotten, and the staff console's customer page held and then
forgotten. Each shown page fits both widths, passes axe-core and is kept as a screenshot."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_accessibility import _blocking as axe_blocking
from tests.e2e.test_forgetting_customers import _admin
from tests.e2e.test_pages_fit_phones import WIDTHS, _measure, _signed_in_as
from tests.support.browser import save_screenshot
from tests.support.journey import Journey
from tests.support.system import SIGN_UP_PASSWORD, System


def _shown(page: Page, name: str, misfits: list[str]) -> list[str]:
    """The page as it is now at each width (no reload: a form's answer), measured and kept;
    axe-core's blocking findings."""
    problems = axe_blocking(page)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        _measure(page, f"{name} at {width}", misfits)
        save_screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def _forget_me(page: Page, password: str) -> None:
    page.fill("#field-forget-password", password)
    page.check("#field-forget-confirm")
    page.click("#forget-form button[type=submit]")
    page.wait_for_load_state("load")


@pytest.mark.rule("R26")
def test_the_forgetting_pages_fit_a_phone_and_a_laptop(system: System, browser: Browser) -> None:
    misfits: list[str] = []
    email = f"held-{uuid.uuid4().hex[:8]}@example.com"
    held_session, held = Journey.signed_up(system, email)
    held.place()
    held.billings(1)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    _signed_in_as(context, system, held_session)
    page = context.new_page()

    page.goto(system.url("gateway", "/account"))
    expect(page.locator("#download-data")).to_have_attribute("href", "/account/export")
    _forget_me(page, "not my password")
    expect(page.locator("#error-forget-password")).to_have_text("This is not your password.")
    expect(page.locator("#field-forget-password")).to_have_value("")
    expect(page.locator("#field-forget-confirm")).to_be_checked()
    problems = _shown(page, "account-forget-refused", misfits)
    _forget_me(page, SIGN_UP_PASSWORD)
    expect(page.locator("#legal-hold")).to_contain_text(f"Order {held.order_id} still has")
    problems += _shown(page, "account-forget-held", misfits)

    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    _signed_in_as(admin, system, _admin(system))
    staff_page = admin.new_page()
    staff_page.goto(system.url("gateway", f"/staff/customers/{held.customer_id}"))
    staff_page.check("#field-forget-confirm")
    staff_page.click("#forget-form button[type=submit]")
    expect(staff_page.locator("#legal-hold")).to_contain_text(f"Order {held.order_id}")
    problems += _shown(staff_page, "staff-customer-held", misfits)

    free_session, free = Journey.signed_up(system, f"free-{uuid.uuid4().hex[:8]}@example.com")
    free_context = browser.new_context(viewport={"width": 1280, "height": 900})
    _signed_in_as(free_context, system, free_session)
    free_page = free_context.new_page()
    free_page.goto(system.url("gateway", "/account"))
    _forget_me(free_page, SIGN_UP_PASSWORD)
    expect(free_page.locator("h1")).to_have_text("You are forgotten")
    problems += _shown(free_page, "forgotten", misfits)
    staff_page.goto(system.url("gateway", f"/staff/customers/{free.customer_id}"))
    expect(staff_page.locator(".customer-email")).to_have_text("forgotten customer")
    problems += _shown(staff_page, "staff-customer-forgotten", misfits)

    assert not problems, "\n".join(problems)
    assert not misfits, "\n".join(misfits)
