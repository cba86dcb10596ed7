"""Money the customer can check (R4): for every way to pay (deposit, bank transfer, staff
confirmation, card), the order page and the payment page show the figures billing's JSON
records: each line in CNY and converted, the rate with its date, the service fee rule, the card
fee before PayPal, amount, paid and balance; one money format. Real processes throughout."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from deploy.paypal_standin import PayPalStandIn, capture_completed_event
from shared.money import Money
from tests.support.bank_notices import bank_headers, bank_notice
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.figures import assert_page_shows_billing
from tests.support.journey import FORM_ADDRESS, FORM_ITEMS, Journey
from tests.support.pages import apply_for_order, reload_until
from tests.support.pages import sign_up as sign_up_in_browser
from tests.support.system import System, poll, sign_up


def _customer(system: System, email: str) -> tuple[requests.Session, Journey]:
    browser, account = sign_up(system, email)
    journey = Journey(system, account["account_id"])
    journey.place()
    return browser, journey


def _billing(journey: Journey, status: str) -> dict[str, Any]:
    first: dict[str, Any] = poll(
        lambda: journey.billings(1)[0], lambda b: b["status"] == status, timeout=20
    )
    return first


def _pages_show(system: System, browser: requests.Session, billing: dict[str, Any]) -> str:
    """Both pages show `billing`'s figures; returns the payment page."""
    order_page = browser.get(system.url("gateway", f"/orders/{billing['order_id']}"), timeout=30)
    assert order_page.status_code == 200, order_page.text
    assert_page_shows_billing(order_page.text, billing)
    pay_page = browser.get(system.url("gateway", f"/billings/{billing['billing_id']}/pay"))
    assert pay_page.status_code == 200, pay_page.text
    assert_page_shows_billing(pay_page.text, billing)
    return pay_page.text


def _eur(amount: str) -> str:
    return Money(Decimal(amount), "EUR").formatted()


@pytest.mark.rule("R4")
def test_R4_a_new_billing_shows_each_line_in_cny_and_euro_with_the_rate_its_date_and_the_fee(
    system: System,
) -> None:
    browser, journey = _customer(system, "figures-open@example.com")
    billing = _billing(journey, "open")
    # The journey's order: 2 x 45.50 + 3 x 12.00 CNY goods, 14.00 CNY China shipping.
    assert [(line["label"], line["original"], line["amount"]) for line in billing["lines"]] == [
        ("goods", {"amount": "127.00", "currency": "CNY"}, {"amount": "16.26", "currency": "EUR"}),
        (
            "china domestic shipping",
            {"amount": "14.00", "currency": "CNY"},
            {"amount": "1.79", "currency": "EUR"},
        ),
        (
            "service fee",
            {"amount": "10.00", "currency": "CNY"},
            {"amount": "1.28", "currency": "EUR"},
        ),
    ]
    assert billing["original_subtotal"] == {"amount": "151.00", "currency": "CNY"}
    assert billing["service_fee_rule"] == "5 % of goods, at least 10.00 CNY"
    issued_day = billing["issued_at"][:10]
    assert billing["exchange"] == {
        "from": "CNY",
        "to": "EUR",
        "rate": "0.128",
        "date": issued_day,
        "words": f"1 CNY = 0.128 EUR, rate of {issued_day}",
    }
    assert billing["formatted"] == {
        "amount": "19.33 EUR",
        "paid": "0.00 EUR",
        "balance": "19.33 EUR",
        "refunded": "0.00 EUR",
    }
    page = _pages_show(system, browser, billing)
    assert "151.00 CNY" in page


@pytest.mark.rule("R4", "R8", "R9")
def test_R4_R8_R9_paid_from_the_deposit_then_by_bank_transfer_the_pages_follow_the_billing(
    system: System,
) -> None:
    browser, journey = _customer(system, "figures-bank@example.com")
    journey.give_deposit("5.00")
    bid = _billing(journey, "open")["billing_id"]
    paid = journey.post("billing", f"/billings/{bid}/deposit-payments", {})
    assert paid.status_code == 201, paid.text
    partial = _billing(journey, "partially_paid")
    assert (partial["formatted"]["paid"], partial["formatted"]["balance"]) == (
        "5.00 EUR",
        "14.33 EUR",
    )
    page = _pages_show(system, browser, partial)
    assert f'id="rest-amount">{_eur("14.33")}<' in page
    body = bank_notice(bid, "14.33", "TX-FIG-1")
    notice = requests.post(
        system.url("billing", "/webhooks/bank"),
        data=body,
        headers={**bank_headers(body), "Content-Type": "application/json"},
        timeout=10,
    )
    assert notice.status_code == 200, notice.text
    settled = _billing(journey, "paid")
    assert settled["formatted"]["balance"] == "0.00 EUR"
    _pages_show(system, browser, settled)


@pytest.mark.rule("R4", "R9")
def test_R4_R9_paid_by_a_staff_confirmation_the_pages_show_it_paid(system: System) -> None:
    browser, journey = _customer(system, "figures-staff@example.com")
    journey.pay("first")
    settled = _billing(journey, "paid")
    assert (settled["formatted"]["paid"], settled["formatted"]["balance"]) == (
        "19.33 EUR",
        "0.00 EUR",
    )
    _pages_show(system, browser, settled)


@pytest.mark.rule("R4", "R10")
def test_R4_R10_the_card_fee_is_on_the_page_before_paypal_and_the_paid_billing_after(
    system: System, paypal: PayPalStandIn
) -> None:
    browser, journey = _customer(system, "figures-card@example.com")
    billing = _billing(journey, "open")
    bid = billing["billing_id"]
    page = _pages_show(system, browser, billing)
    due = journey.get("billing", f"/billings/{bid}/payment-page").json()
    # 3.9 % of 19.33 = 0.75387 -> 0.75 EUR, shown before the customer leaves for PayPal
    assert (due["card"]["fee"], due["card"]["total"]) == ("0.75", "20.08")
    assert f'id="card-fee">{_eur("0.75")}<' in page
    assert f'id="card-total">{_eur("20.08")}<' in page
    checkout = journey.card_checkout(bid)
    assert (checkout["fee"], checkout["total"]) == ("0.75", "20.08")
    event = capture_completed_event(
        checkout["paypal_order_id"], bid, Money(Decimal("20.08"), "EUR")
    )
    headers, body = paypal.signed_webhook(event, paypal.webhook_id)
    delivered = requests.post(
        system.url("billing", "/webhooks/paypal"),
        data=body,
        headers={**headers, "Content-Type": "application/json"},
        timeout=10,
    )
    assert delivered.status_code == 200, delivered.text
    settled = _billing(journey, "paid")
    assert [(p["method"], p["amount"]) for p in settled["payments"]] == [("card", "19.33")]
    _pages_show(system, browser, settled)


@pytest.mark.rule("R4", "R9")
def test_R4_R9_in_chromium_the_figures_and_the_calendar_fit_a_laptop_and_a_phone(
    system: System,
) -> None:
    with launch_chromium() as chromium:
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_up_in_browser(page, system, "figures-browser@example.com", "correct horse battery")
        order_id = apply_for_order(page, system, FORM_ITEMS, FORM_ADDRESS)
        figures = page.locator("#billing-first table.figures")
        reload_until(page, lambda: figures.count() == 1)
        answer = page.request.get(system.url("gateway", f"/api/billing/orders/{order_id}/billings"))
        [billing] = answer.json()["billings"]
        assert_page_shows_billing(page.content(), billing)
        shots = [
            ("order-figures", f"/orders/{order_id}", "#billing-first"),
            ("payment-figures", f"/billings/{billing['billing_id']}/pay", "#card-payment"),
            ("calendar-months", "/calendar?from=2026-12-01", "#calendar"),
        ]
        for name, path, shown in shots:
            page.goto(system.url("gateway", path))
            for width in (1280, 375):
                page.set_viewport_size({"width": width, "height": 900})
                box = page.locator(shown).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (
                    name,
                    width,
                    box,
                )
                wide = page.evaluate("document.documentElement.scrollWidth")
                assert wide <= width, (name, width, wide)  # nothing makes the page scroll sideways
                save_screenshot(page, f"{name}-{width}")
        christmas = page.locator("td.day[data-date='2026-12-25']")
        assert "closed" in (christmas.get_attribute("class") or "")
        assert christmas.get_attribute("title")
