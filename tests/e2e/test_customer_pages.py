"""The customer's pages over HTTP against the real processes: a page still renders when one
service is down and says which part is missing; forms need the session's CSRF token and a
refused form stores nothing and comes back filled in with the reason (R1-R7, R22, R26, R28)."""

from __future__ import annotations

import re

import pytest
import requests

from tests.support.images import png
from tests.support.journey import Journey
from tests.support.system import System, poll, sign_up

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


def _customer(system: System, email: str) -> tuple[requests.Session, str, Journey]:
    """A signed-up browser session, its CSRF token and the customer's journey."""
    browser, account = sign_up(system, email, PASSWORD)
    return browser, account["csrf_token"], Journey(system, account["account_id"])


def _orders(system: System, browser: requests.Session) -> list[dict[str, str]]:
    listed = browser.get(system.url("gateway", "/api/orders/orders"), timeout=10).json()
    orders: list[dict[str, str]] = listed["orders"]
    return orders


@pytest.mark.rule("R1", "R3", "R5")
def test_R1_R3_R5_an_order_applied_with_the_form_shows_on_its_page_and_as_a_tab(
    system: System,
) -> None:
    browser, csrf, _ = _customer(system, "page-apply@example.com")
    answer = _form_post(system, browser, csrf, "/orders/new", FORM)
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
    second = _form_post(system, browser, csrf, "/orders/new", FORM)
    tabs = re.findall(r'class="tab[^"]*"[^>]*>\s*(ord-\w+)', second.text)
    assert order_id in tabs and second.url.rsplit("/", 1)[1] in tabs  # R1: switch between


def test_a_refused_order_form_comes_back_filled_in_with_the_reason_and_stores_nothing(
    system: System,
) -> None:
    browser, csrf, _ = _customer(system, "page-refused@example.com")
    bad = {**FORM, "items-0-url": "https://www.amazon.com/dp/B000"}
    answer = _form_post(system, browser, csrf, "/orders/new", bad)
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


@pytest.mark.rule("R22", "R28")
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


@pytest.mark.rule("R4", "R7")
def test_R4_R7_with_billing_down_the_order_page_says_so_and_shows_everything_else(
    system: System,
) -> None:
    browser, _, journey = _customer(system, "page-degrade@example.com")
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


def _form_post(
    system: System,
    browser: requests.Session,
    csrf: str,
    path: str,
    data: dict[str, str],
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> requests.Response:
    """Submit a page form the way the browser does, and follow it back to the page."""
    return browser.post(
        system.url("gateway", path), data={**data, "csrf_token": csrf}, files=files, timeout=30
    )


def _flash(page: requests.Response) -> list[str]:
    return re.findall(r'class="flash (?:success|error)"[^>]*>([^<]*)<', page.text)


@pytest.mark.rule("R15", "R17")
def test_R15_R17_before_payment_the_customer_changes_items_then_cancels_on_the_page(
    system: System,
) -> None:
    browser, csrf, journey = _customer(system, "page-change@example.com")
    journey.place()
    before = journey.billings(1)[0]["amount"]
    order = f"/orders/{journey.order_id}"
    changed = _form_post(
        system,
        browser,
        csrf,
        f"{order}/items",
        {"was-itm-1": "2", "quantity-itm-1": "1", "was-itm-2": "3", "quantity-itm-2": "0"},
    )
    assert _flash(changed) == ["The items are changed and the 1st billing is recalculated."]
    after = poll(
        lambda: journey.billings(1)[0]["amount"], lambda amount: amount != before, timeout=20
    )
    page = browser.get(system.url("gateway", order), timeout=30).text
    assert f"{after} EUR" in page  # the recalculated 1st billing, ready to pay (R17)
    assert re.search(r'id="item-itm-2".*?status-cancelled', page, re.S)
    cancelled = _form_post(system, browser, csrf, f"{order}/cancel", {})
    assert _flash(cancelled) == ["The order is cancelled."]
    assert "This order is cancelled." in cancelled.text
    assert journey.order()["status"] == "cancelled"


@pytest.mark.rule("R15")
def test_R15_once_paid_the_cancel_form_is_refused_with_the_reason(system: System) -> None:
    browser, csrf, journey = _customer(system, "page-paid@example.com")
    journey.place()
    journey.paid_first()
    refused = _form_post(system, browser, csrf, f"/orders/{journey.order_id}/cancel", {})
    assert refused.status_code == 200 and "flash error" in refused.text
    assert 'id="cancel-order"' not in refused.text  # the button is gone once paid
    assert journey.order()["status"] == "purchasing"


@pytest.mark.rule("R23", "R28")
def test_R23_R28_a_problem_report_with_a_picture_opens_a_message_then_feedback_after_completion(
    system: System,
) -> None:
    browser, csrf, journey = _customer(system, "page-problem@example.com")
    journey.to_shipped(["EE100000001CN", "EE100000002CN"])
    order = f"/orders/{journey.order_id}"
    reported = _form_post(
        system,
        browser,
        csrf,
        f"{order}/reception",
        {"all_well": "false", "comment": "The mug arrived broken"},
        files=[("photos", ("broken.png", png(40, 30), "image/png"))],
    )
    assert _flash(reported) == ["Your problem report is sent; we answer in the messages below."]
    page = poll(
        lambda: browser.get(system.url("gateway", order), timeout=30).text,
        lambda text: "The mug arrived broken" in text,
        timeout=20,
    )
    assert "You reported a problem" in page and "shipped" in page  # still open (R23)
    completed = _form_post(system, browser, csrf, f"{order}/reception", {"all_well": "true"})
    assert _flash(completed) == ["Thank you: the order is completed."]
    rated = _form_post(
        system, browser, csrf, f"{order}/feedback", {"rating": "4", "text": "Fast and careful"}
    )
    assert _flash(rated) == ["Thank you for your feedback."]
    assert "You rated this order 4/5" in rated.text
    public = poll(
        lambda: requests.get(system.url("gateway", "/feedback"), timeout=10).text,
        lambda text: "Fast and careful" in text,
        timeout=20,
    )
    assert "page-problem@example.com" not in public  # public, without who left it (R28)
