"""The customer's pages over HTTP against the real processes: a page still renders when one
service is down and says which part is missing; forms need the session's CSRF token and a
refused form stores nothing and comes back filled in with the reason (R1-R7, R22, R26, R28)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from tests.support.infra import Infra
from tests.support.journey import Journey
from tests.support.system import System, poll, running_system

PASSWORD = "correct horse battery"
FORM = {
    "items-0-url": "https://item.taobao.com/item.htm?id=6620",
    "items-0-title": "Canvas tote bag",
    "items-0-options": "colour: navy; size: L",
    "items-0-quantity": "2",
    "items-0-unit_price_cny": "45.50",
    "items-0-domestic_shipping_cny": "8.00",
    "items-1-url": "",
    "address-name": "Alice Martin",
    "address-line1": "12 rue des Lilas",
    "address-city": "Lyon",
    "address-postal_code": "69003",
    "address-country": "fr",
    "shipping_method": "EMS",
}


@pytest.fixture(scope="module")
def system(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(infra, tmp_path_factory.mktemp("logs")) as running:
        yield running


def _customer(system: System, email: str) -> tuple[requests.Session, str, str]:
    """A signed-up browser session, its CSRF token and account id."""
    browser = requests.Session()
    answer = browser.post(
        system.url("gateway", "/auth/signup"),
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return browser, answer.json()["csrf_token"], answer.json()["account_id"]


def _orders(system: System, browser: requests.Session) -> list[dict[str, str]]:
    listed = browser.get(system.url("gateway", "/api/orders/orders"), timeout=10).json()
    orders: list[dict[str, str]] = listed["orders"]
    return orders


@pytest.mark.rule("R1")
@pytest.mark.rule("R3")
@pytest.mark.rule("R5")
def test_R1_R3_R5_an_order_applied_with_the_form_shows_on_its_page_and_as_a_tab(
    system: System,
) -> None:
    browser, csrf, _ = _customer(system, "page-apply@example.com")
    answer = browser.post(
        system.url("gateway", "/orders/new"), data={**FORM, "csrf_token": csrf}, timeout=30
    )
    assert answer.status_code == 200 and "/orders/ord-" in answer.url
    page = answer.text
    for shown in (
        "Canvas tote bag",
        "colour: navy",
        "size: L",
        "45.50 CNY",
        "Alice Martin",
        "12 rue des Lilas",
        "EMS",
    ):
        assert shown in page
    order_id = answer.url.rsplit("/", 1)[1]
    second = browser.post(
        system.url("gateway", "/orders/new"), data={**FORM, "csrf_token": csrf}, timeout=30
    )
    tabs = re.findall(r'class="tab[^"]*"[^>]*>\s*(ord-\w+)', second.text)
    assert order_id in tabs and second.url.rsplit("/", 1)[1] in tabs  # R1: switch between


def test_a_refused_order_form_comes_back_filled_in_with_the_reason_and_stores_nothing(
    system: System,
) -> None:
    browser, csrf, _ = _customer(system, "page-refused@example.com")
    bad = {**FORM, "items-0-url": "https://www.amazon.com/dp/B000", "csrf_token": csrf}
    answer = browser.post(system.url("gateway", "/orders/new"), data=bad, timeout=30)
    assert answer.status_code == 400
    assert "Taobao, Tmall, 1688 or Alibaba" in answer.text
    assert 'value="Alice Martin"' in answer.text  # the customer does not type it all again
    assert _orders(system, browser) == []


@pytest.mark.rule("R26")
def test_R26_a_page_form_without_the_session_csrf_token_is_refused_and_stores_nothing(
    system: System,
) -> None:
    browser, _, _ = _customer(system, "page-csrf@example.com")
    answer = browser.post(system.url("gateway", "/orders/new"), data=FORM, timeout=30)
    assert answer.status_code == 403 and "CSRF" in answer.text
    forged = {**FORM, "csrf_token": "guessed"}
    assert browser.post(system.url("gateway", "/orders/new"), data=forged).status_code == 403
    assert _orders(system, browser) == []
    # The sign-in form, before any session, is protected by its double-submit token.
    stranger = requests.post(
        system.url("gateway", "/signin"),
        data={"email": "page-csrf@example.com", "password": PASSWORD},
        timeout=10,
    )
    assert stranger.status_code == 403


@pytest.mark.rule("R22")
@pytest.mark.rule("R28")
def test_R22_R28_visitors_estimate_a_fee_and_read_the_calendar_and_feedback(
    system: System,
) -> None:
    visitor = requests.Session()
    estimate = visitor.get(
        system.url("gateway", "/estimate"),
        params={
            "country": "FR",
            "weight_grams": "1200",
            "length_cm": "30",
            "width_cm": "20",
            "height_cm": "10",
        },
        timeout=10,
    )
    assert estimate.status_code == 200 and 'id="estimate"' in estimate.text
    assert "EMS express mail" in estimate.text and "EUR" in estimate.text
    refused = visitor.get(system.url("gateway", "/estimate"), params={"country": "FR"})
    assert refused.status_code == 200 and "flash error" in refused.text
    calendar = visitor.get(system.url("gateway", "/calendar"), timeout=10)
    assert calendar.status_code == 200 and "expected to be confirmed on" in calendar.text
    assert visitor.get(system.url("gateway", "/feedback"), timeout=10).status_code == 200


@pytest.mark.rule("R4")
@pytest.mark.rule("R7")
def test_R4_R7_with_billing_down_the_order_page_says_so_and_shows_everything_else(
    system: System,
) -> None:
    browser, _, account_id = _customer(system, "page-degrade@example.com")
    journey = Journey(system, account_id)
    journey.place()
    journey.billings(1)
    order = journey.wait_status("applied")
    poll(journey.order, lambda o: o["next_action"] == "pay_first_billing")
    system.kill("billing-api")
    try:
        page = browser.get(system.url("gateway", f"/orders/{journey.order_id}"), timeout=30)
        assert page.status_code == 200
        assert "Billing and payments is unavailable right now" in page.text
        assert order["items"][0]["title"] in page.text  # items (orders) still shown
        assert 'id="message-form"' in page.text  # messages still shown
        assert "Pay the 1st billing" in page.text  # progress still shown
        deposit = browser.get(system.url("gateway", "/deposit"), timeout=30)
        assert deposit.status_code == 200 and "unavailable right now" in deposit.text
    finally:
        system.start("billing-api")
        system.wait_healthy("billing")
    page = browser.get(system.url("gateway", f"/orders/{journey.order_id}"), timeout=30)
    assert "unavailable" not in page.text and 'id="billing-first"' in page.text
