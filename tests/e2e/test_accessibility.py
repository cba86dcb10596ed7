"""axe-core in real Chromium on every customer and staff page in its main states: no serious
or critical accessibility violation (labels, contrast, landmarks, names of buttons and links).
issue 16; the staff console is R27."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.support.journey import Journey
from tests.support.pages import fill_order_form, reload_until, sign_in, walk_first_staff_signin
from tests.support.system import System, create_staff

PASSWORD = "correct horse battery"
STAFF_EMAIL, STAFF_PASSWORD = "an@cnnect.example", "staff password 5"
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def system(system: System) -> System:
    create_staff(system, STAFF_EMAIL, STAFF_PASSWORD)
    return system


def _blocking(page: Page) -> list[str]:
    """The serious and critical violations axe-core finds on the page, one line each."""
    found: dict[str, Any] = Axe().run(page).response
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in found["violations"]
        if v.get("impact") in BLOCKING
    ]


def _checked(page: Page, system: System, paths: list[str]) -> list[str]:
    problems: list[str] = []
    for path in paths:
        page.goto(system.url("gateway", path))
        problems.extend(_blocking(page))
    return problems


def test_the_public_pages_have_no_serious_accessibility_violation(
    system: System, browser: Browser
) -> None:
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    problems = _checked(
        page,
        system,
        [
            "/",
            "/signup",
            "/signin",
            "/estimate",
            "/calendar",
            "/feedback",
            "/account/forgot-password",
            "/account/reset-password?token=not-a-real-one",
            "/account/verify?token=not-a-real-one",
        ],
    )
    page.goto(system.url("gateway", "/estimate?country=F&weight_grams=x"))  # refused
    problems.extend(_blocking(page))
    page.goto(
        system.url(
            "gateway",
            "/estimate?country=FR&weight_grams=900&length_cm=30&width_cm=20&height_cm=10",
        )
    )
    problems.extend(_blocking(page))
    assert not problems, "\n".join(problems)


def test_the_customer_pages_have_no_serious_accessibility_violation(
    system: System, browser: Browser
) -> None:
    email = f"axe-{uuid.uuid4().hex[:6]}@example.com"
    _, journey = Journey.signed_up(system, email, PASSWORD)
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, system, email, PASSWORD, "/orders")
    problems = _blocking(page)  # the empty order list
    journey.place()
    first = journey.billings(1)[0]
    problems += _checked(
        page,
        system,
        [
            "/orders",
            "/orders/new",
            f"/orders/{journey.order_id}",
            f"/billings/{first['billing_id']}/pay",
            # Back from PayPal: cancelled there, and waiting for the capture to be confirmed.
            f"/billings/{first['billing_id']}/card-cancelled",
            f"/billings/{first['billing_id']}/card-confirmation",
            "/deposit",
            "/orders?tab=cancelled",
            "/account/email",
            "/account",
        ],
    )
    page.goto(system.url("gateway", "/orders/new"))
    item = {"url": "https://www.amazon.com/dp/B0", "title": "Mug", "quantity": "1"}
    item |= {"unit_price_cny": "12.00"}
    address = {"name": "A", "line1": "1 rue", "city": "Lyon", "postal_code": "69003"}
    fill_order_form(page, [item], address | {"country": "FR"})
    page.click("#order-form button[type=submit]")  # refused: errors beside the fields
    expect(page.locator("#error-items-0-url")).to_be_visible()
    problems.extend(_blocking(page))
    page.goto(system.url("gateway", f"/orders/{journey.order_id}"))
    reload_until(page, lambda: page.locator("#cancel-order").count() == 1)
    page.click("#cancel-order")  # the confirmation open
    problems.extend(_blocking(page))
    assert not problems, "\n".join(problems)


@pytest.mark.rule("R27")
def test_R27_the_staff_console_has_no_serious_accessibility_violation(
    system: System, browser: Browser
) -> None:
    _, journey = Journey.signed_up(system, f"axe-staff-{uuid.uuid4().hex[:6]}@example.com")
    journey.place()
    journey.paid_first()
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, system, STAFF_EMAIL, STAFF_PASSWORD, "/staff")
    problems = _blocking(page)
    problems += _checked(
        page, system, [f"/staff/orders/{journey.order_id}", "/staff/live", "/orders/new"]
    )
    assert not problems, "\n".join(problems)


@pytest.mark.rule("R26")
def test_R26_the_second_factor_pages_and_staff_accounts_have_no_serious_violation(
    system: System, browser: Browser
) -> None:
    email, password = "axe-admin@cnnect.example", "admin axe password"
    create_staff(system, email, password, role="admin", enrol=False)
    problems: list[str] = []
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    walk_first_staff_signin(
        page, system, email, password, lambda p, _: problems.extend(_blocking(p))
    )
    assert not problems, "\n".join(problems)


@pytest.mark.rule("R23", "R28")
def test_R23_R28_a_shipped_then_completed_order_has_no_serious_accessibility_violation(
    system: System, browser: Browser
) -> None:
    email = f"axe-shipped-{uuid.uuid4().hex[:6]}@example.com"
    _, journey = Journey.signed_up(system, email, PASSWORD)
    journey.to_shipped(["EE123456789CN", "EE987654321CN"])
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, system, email, PASSWORD, "/orders")
    page.goto(system.url("gateway", f"/orders/{journey.order_id}"))
    reload_until(page, lambda: page.locator("#all-well").count() == 1)
    problems = _blocking(page)  # shipped: the reception report, the tracking numbers
    # The photo gallery, a question about an item, and a page that is not there.
    gallery = f"/orders/{journey.order_id}/items/itm-1"
    problems += _checked(page, system, [f"{gallery}/photos", f"{gallery}/question"])
    problems += _checked(page, system, ["/orders/ord-000000000000"])
    page.set_viewport_size({"width": 375, "height": 800})  # the order page on a phone
    problems += _checked(page, system, [f"/orders/{journey.order_id}"])
    page.set_viewport_size({"width": 1200, "height": 900})
    page.click("#all-well")
    problems.extend(_blocking(page))  # the confirmation open
    page.click("#all-well-confirm")
    expect(page.locator("#send-feedback")).to_be_visible()
    problems.extend(_blocking(page))  # completed: the feedback form
    staff = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(staff, system, STAFF_EMAIL, STAFF_PASSWORD, "/staff")
    problems += _checked(staff, system, [f"/staff/orders/{journey.order_id}"])
    assert not problems, "\n".join(problems)
