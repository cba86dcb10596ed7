"""Paying by card in real Chromium through the PayPal stand-in (deploy/paypal_standin), as
`make run` does in development (R10): the customer sees the card fee before leaving, approves
at the stand-in's page and, back on the order page without reloading, sees the 1st billing
paid by card with the fee. PayPal unreachable, refusing, a cancel at PayPal and a declined card
each bring the customer back to the payment page, which says what happened and still offers
the bank transfer and the deposit. Screenshots at 1280 and 375 px go to artifacts/."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from deploy.paypal_standin import PayPalStandIn
from services.billing.adapters.paypal_client import RETRY_ATTEMPTS
from tests.support.browser import save_screenshot
from tests.support.figures import assert_page_shows_billing
from tests.support.pages import apply_for_order, reload_until, sign_up
from tests.support.system import System

PASSWORD = "correct horse battery"
ITEMS = [
    {
        "url": "https://item.taobao.com/item.htm?id=7731",
        "title": "Linen shirt",
        "options": "size: M",
        "quantity": "1",
        "unit_price_cny": "120.00",
        "domestic_shipping_cny": "10.00",
    }
]
ADDRESS = {
    "name": "Bea Lind",
    "line1": "3 Storgatan",
    "city": "Uppsala",
    "postal_code": "75320",
    "country": "SE",
}
_FIGURE = re.compile(r"\d+\.\d{2}")
OTHER_WAYS = "You can pay by bank transfer or from your deposit"


pytestmark = pytest.mark.usefixtures("paypal_notifies_the_gateway")


def _figure(text: str) -> str:
    found = _FIGURE.search(text)
    assert found is not None, text
    return found.group(0)


def _payment_page(browser: Browser, system: System) -> tuple[Page, str]:
    """A new customer with a new order, on the payment page of its 1st billing."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_up(page, system, f"bea-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    order_id = apply_for_order(page, system, ITEMS, ADDRESS)
    action = page.locator("#next-action")
    reload_until(page, lambda: action.count() == 1 and action.inner_text() == "Pay the 1st billing")
    action.click()
    page.wait_for_url("**/billings/*/pay")
    return page, order_id


def _screenshots(page: Page, name: str) -> None:
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def _back_with_the_other_ways(page: Page, says: str) -> None:
    """On the payment page again: the sentence, and the bank transfer and deposit offered."""
    expect(page).to_have_url(re.compile(r"/billings/[^/]+/pay$"))
    expect(page.locator(".flash.error")).to_contain_text(says)
    expect(page.locator("#bank-transfer")).to_be_visible()
    expect(page.locator("#deposit-step")).to_be_visible()
    expect(page.locator("#move-to-paypal")).to_be_visible()


@pytest.mark.rule("R10")
def test_a_customer_pays_by_card_at_the_stand_in_and_sees_the_billing_paid_with_the_fee(
    system: System, paypal: PayPalStandIn, browser: Browser
) -> None:
    page, order_id = _payment_page(browser, system)
    billings = system.url("gateway", f"/api/billing/orders/{order_id}/billings")
    [billing] = page.request.get(billings).json()["billings"]
    assert_page_shows_billing(page.content(), billing)  # R4: rate, converted amounts, fee
    rest = _figure(page.locator("#rest-amount").inner_text())
    fee = _figure(page.locator("#card-fee").inner_text())
    total = _figure(page.locator("#card-total").inner_text())
    page.click("#move-to-paypal")
    page.wait_for_url(f"{paypal.base_url}/**")
    expect(page.locator("#amount")).to_have_text(total)  # the fee is in what PayPal takes
    expect(page.locator("#description")).to_contain_text(f"{rest} EUR + card fee {fee} EUR")
    _screenshots(page, "card-paypal-standin-approval")
    page.click("#pay-now")
    # Back on the order page by itself: no reload by hand (the confirmation page waits).
    page.wait_for_url(f"**/orders/{order_id}", timeout=30_000)
    expect(page.locator("#billing-first .status-paid")).to_have_count(1)
    expect(page.locator("#billing-first .balance")).to_contain_text("0.00")
    expect(page.locator(".flash.success")).to_contain_text(
        f"Paid {rest} EUR by card through PayPal, with a card fee of {fee} EUR ({total} EUR"
    )
    expect(page.locator("#billing-first .payments")).to_contain_text("card")
    [paid] = page.request.get(billings).json()["billings"]
    assert paid["status"] == "paid"
    assert_page_shows_billing(page.content(), paid)  # R4: paid and balance as billing has them
    _screenshots(page, "card-paid-order")


@pytest.mark.rule("R10")
@pytest.mark.parametrize(
    ("status", "times", "says"),
    [(503, RETRY_ATTEMPTS, "cannot be reached right now"), (422, 1, "refused the card payment")],
    ids=["cannot-be-reached", "refuses"],
)
def test_when_paypal_cannot_take_the_payment_the_page_says_why_and_offers_the_other_ways(
    system: System, paypal: PayPalStandIn, browser: Browser, status: int, times: int, says: str
) -> None:
    page, _ = _payment_page(browser, system)
    paypal.fail_next("/v2/checkout/orders", status, times=times)
    page.click("#move-to-paypal")
    _back_with_the_other_ways(page, f"PayPal {says}. Nothing was charged. {OTHER_WAYS}")
    if status == 503:
        _screenshots(page, "card-paypal-unreachable")


@pytest.mark.rule("R10")
def test_a_customer_who_cancels_at_paypal_is_back_on_the_payment_page_with_the_other_ways(
    system: System, paypal: PayPalStandIn, browser: Browser
) -> None:
    page, _ = _payment_page(browser, system)
    page.click("#move-to-paypal")
    page.wait_for_url(f"{paypal.base_url}/**")
    page.click("#cancel")
    _back_with_the_other_ways(page, "You cancelled the payment at PayPal; nothing was charged.")
    _screenshots(page, "card-cancelled-at-paypal")


@pytest.mark.rule("R10")
def test_a_declined_card_brings_the_customer_back_with_the_other_ways_and_nothing_paid(
    system: System, paypal: PayPalStandIn, browser: Browser
) -> None:
    page, order_id = _payment_page(browser, system)
    page.click("#move-to-paypal")
    page.wait_for_url(f"{paypal.base_url}/**")
    page.click("#pay-declined")
    _back_with_the_other_ways(page, "PayPal declined the card; nothing was charged.")
    page.goto(system.url("gateway", f"/orders/{order_id}"))
    expect(page.locator("#billing-first .status-paid")).to_have_count(0)


@pytest.mark.rule("R10")
def test_a_slow_paypal_still_takes_the_customer_to_paypal_instead_of_an_error_page(
    system: System, paypal: PayPalStandIn, browser: Browser
) -> None:
    page, _ = _payment_page(browser, system)
    # PayPal hangs on the first attempt for longer than the gateway used to wait for billing:
    # billing gives that attempt up and tries again, and the gateway waits for it.
    paypal.stall_next("/v2/checkout/orders", 12)
    page.click("#move-to-paypal")
    page.wait_for_url(f"{paypal.base_url}/**", timeout=30_000)
    expect(page.locator("#pay-now")).to_be_visible()


@pytest.mark.rule("R10")
def test_coming_back_without_approving_at_paypal_charges_nothing_and_says_so(
    system: System, paypal: PayPalStandIn, browser: Browser
) -> None:
    page, _ = _payment_page(browser, system)
    billing_id = page.url.split("/billings/")[1].split("/")[0]
    page.click("#move-to-paypal")
    page.wait_for_url(f"{paypal.base_url}/**")
    token = page.url.split("token=")[1]
    # The return address typed by hand (or an old tab): PayPal refuses the capture.
    page.goto(system.url("gateway", f"/billings/{billing_id}/card-returned?token={token}"))
    _back_with_the_other_ways(page, "PayPal has not approved this payment; nothing was charged.")
    assert paypal.order_status(token) == "PAYER_ACTION_REQUIRED"
