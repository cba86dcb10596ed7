"""A customer and a staff member take one order through its whole life in real headless
Chromium, each in their own browser: the customer on the order pages (R1-R10, R18, R23), the
staff in the console (R27), watching the events arrive live. PayPal is the local stand-in
(deploy/paypal_standin), the bank is `python -m services.billing send-bank-notice` signing its
notices."""

from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from deploy.paypal_standin import PayPalStandIn
from tests.support.bank_command import send_bank_notice
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.images import png
from tests.support.journey import FORM_ADDRESS, FORM_ITEMS
from tests.support.pages import apply_for_order, reload_until, sign_in, sign_up
from tests.support.system import System, create_staff

PASSWORD = "correct horse battery"
STAFF_EMAIL, STAFF_PASSWORD = "mei@cnnect.example", "staff password 9"
TRACKING = ("EE123456789CN", "EE987654321CN")


pytestmark = pytest.mark.usefixtures("paypal_notifies_the_gateway")


def _until_next_action(customer: Page, action: str) -> None:
    """Reload until the one green next action (R2) is `action`."""
    next_action = customer.locator("#next-action")
    reload_until(customer, lambda: next_action.count() == 1 and next_action.inner_text() == action)


def _live_types(live: Page) -> set[str]:
    types = live.locator("#live-events li.event").evaluate_all(
        "items => items.map(item => item.dataset.type)"
    )
    return set(types)


@pytest.mark.rule("R2", "R4", "R5", "R6", "R7", "R8", "R10", "R18", "R23", "R27")
def test_a_customer_and_staff_take_an_order_from_sign_up_to_reception_in_the_browser(
    system: System, paypal: PayPalStandIn
) -> None:
    create_staff(system, STAFF_EMAIL, STAFF_PASSWORD)
    with launch_chromium() as browser:
        customer = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        staff = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        customer.on("dialog", lambda dialog: dialog.accept())

        # The staff member opens the live feed first: every event from now on shows there.
        sign_in(staff, system, STAFF_EMAIL, STAFF_PASSWORD, "/staff")
        live = staff.context.new_page()
        live.goto(system.url("gateway", "/staff/live"))

        # Sign up and apply for an order with two items (the second row added by the form).
        sign_up(customer, system, f"alice-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
        order_id = apply_for_order(customer, system, FORM_ITEMS, FORM_ADDRESS)
        expect(customer.locator(".order-tabs .tab.active")).to_contain_text(order_id)  # R1
        _until_next_action(customer, "Pay the 1st billing")  # R2

        # Staff credit the customer's deposit; the customer pays with it first, then by card.
        account = customer.context.request.get(system.url("gateway", "/auth/me")).json()
        staff_credit_deposit(staff, system, order_id, account["account_id"], "5.00")
        customer.goto(system.url("gateway", f"/orders/{order_id}"))
        customer.click("#next-action")
        expect(customer.locator("#deposit-applies")).to_have_text("5.00 EUR")
        customer.click("#pay-deposit")
        expect(customer.locator(".flash.success")).to_contain_text(
            "5.00 EUR paid from your deposit"
        )
        card_total = customer.locator("#card-total").inner_text()
        customer.click("#move-to-paypal")
        customer.wait_for_url(f"{paypal.base_url}/**")
        expect(customer.locator("body")).to_contain_text(card_total.split()[0])  # fee shown
        customer.click("#pay-now")
        customer.wait_for_url(f"**/orders/{order_id}")
        reload_until(
            customer,
            lambda: customer.locator("#billing-first .status-paid").count() == 1,
        )
        expect(customer.locator("#billing-first .balance")).to_have_text("0.00 EUR")  # R4

        # Staff buy, receive and inspect both items, with a photo of each, in the console.
        staff_work_items(staff, system, order_id)
        _until_next_action(customer, "Check the inspection photos")
        expect(customer.locator("img.inspection-photo")).to_have_count(2)
        loaded = customer.locator("img.inspection-photo").evaluate_all(
            "images => images.map(image => image.complete && image.naturalWidth > 0)"
        )
        assert loaded == [True, True]  # the photos really load for their owner (R18)

        # Staff pack: the 2nd billing follows; the customer pays it by bank transfer (R9).
        staff_pack(staff, system, order_id)
        _until_next_action(customer, "Pay the 2nd billing")
        customer.click("#next-action")
        reference = customer.locator("#transfer-reference").inner_text()
        rest = customer.locator("#bank-report input[name=amount]").input_value()
        customer.fill("#bank-report input[name=payer_name]", "Alice Martin")
        customer.click("#report-transfer")
        expect(customer.locator(".flash.success")).to_contain_text("expected to be confirmed by")
        expect(customer.locator("#next-action-waiting")).to_be_visible()
        # The bank's notice carries the reference back, sent by the documented command.
        send_bank_notice(system, reference, rest, via="gateway")
        customer.goto(system.url("gateway", f"/orders/{order_id}"))
        reload_until(
            customer,
            lambda: customer.locator("#billing-second .status-paid").count() == 1,
        )

        # Staff ship both parcels; the customer sees the tracking numbers (R6).
        staff_ship(staff, system, order_id, TRACKING)
        reload_until(customer, lambda: customer.locator("a.tracking").count() == 2)
        expect(customer.locator("a.tracking").first).to_have_text(TRACKING[0])

        # A message with an attachment (R7, R14).
        customer.fill("#message-form textarea[name=text]", "The tote looks great, thanks!")
        receipt: FilePayload = {
            "name": "receipt.png",
            "mimeType": "image/png",
            "buffer": png(32, 32),
        }
        customer.set_input_files("#message-form input[name=attachments]", files=[receipt])
        customer.click("#send-message")
        expect(customer.locator("#message-list")).to_contain_text("The tote looks great")
        expect(customer.locator("#message-list a.attachment")).to_have_count(1)
        shot = save_screenshot(customer, "order-details")
        assert shot.stat().st_size > 10_000

        # The reception report completes the order (R23), once the customer confirms it.
        customer.click("#all-well")
        expect(customer.locator("#all-well-confirm-box")).to_contain_text("completes the order")
        customer.click("#all-well-confirm")
        expect(customer.locator(".flash.success")).to_contain_text("completed")
        expect(customer.locator("h1 .status")).to_have_text("Completed")

        # Everything happened in front of the staff member's live feed (R27).
        expected = {"OrderPlaced", "PaymentReceived", "ItemsInspected", "Shipped"}
        deadline = time.monotonic() + 20
        while not expected | {"ReceptionReported"} <= _live_types(live):
            assert time.monotonic() < deadline, _live_types(live)
            live.wait_for_timeout(200)


# --- the staff member's side, in the console ---------------------------------------------------
def _staff_order(staff: Page, system: System, order_id: str) -> None:
    staff.goto(system.url("gateway", f"/staff/orders/{order_id}"))


def _submit(staff: Page, action: str) -> None:
    """Press the button of the form posting to `action` (an ending of its URL) and wait."""
    form = staff.locator(f"form[action$='{action}']")
    with staff.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(staff.locator(".flash.error")).to_have_count(0)


def staff_credit_deposit(
    staff: Page, system: System, order_id: str, customer_id: str, amount: str
) -> None:
    """Credit the customer's deposit (a refund from an earlier order, say)."""
    _staff_order(staff, system, order_id)
    staff.click("summary:has-text('Adjust the customer')")
    form = staff.locator("form[action$='/deposit-adjustments']")
    form.locator("input[name=amount]").fill(amount)
    form.locator("input[name=reason]").fill("refund of an earlier order")
    _submit(staff, "/deposit-adjustments")


def _when_offered(staff: Page, action: str) -> Locator:
    """The form posting to `action`, once the page offers it (the read model caught up)."""
    form = staff.locator(f"form[action$='{action}']")
    reload_until(staff, lambda: form.count() == 1)
    return form


def staff_work_items(staff: Page, system: System, order_id: str) -> None:
    """Purchase, arrival and inspection with a photo, item by item."""
    for item_id in ("itm-1", "itm-2"):
        base = f"/items/{item_id}"
        _staff_order(staff, system, order_id)
        _when_offered(staff, f"{base}/purchased")
        _submit(staff, f"{base}/purchased")
        _when_offered(staff, f"{base}/arrival")
        _submit(staff, f"{base}/arrival")
        form = _when_offered(staff, f"{base}/inspection")
        form.locator("input[name=weight_grams]").fill("800")
        photo: FilePayload = {
            "name": f"{item_id}.png",
            "mimeType": "image/png",
            "buffer": png(64, 48),
        }
        form.locator("input[name=photos]").set_input_files(files=[photo])
        _submit(staff, f"{base}/inspection")


def staff_pack(staff: Page, system: System, order_id: str) -> None:
    """Pack two parcels; the shipping fee is quoted from them (R21)."""
    _staff_order(staff, system, order_id)
    form = _when_offered(staff, "/parcels")
    for row, sizes in enumerate((("900", "30", "20", "10"), ("1100", "25", "20", "15"))):
        for field, value in zip(
            ("weight_grams", "length_cm", "width_cm", "height_cm"), sizes, strict=True
        ):
            form.locator(f"input[name={field}]").nth(row).fill(value)
    _submit(staff, "/parcels")


def staff_ship(staff: Page, system: System, order_id: str, tracking: tuple[str, str]) -> None:
    """Ship every parcel with its tracking number (R6)."""
    _staff_order(staff, system, order_id)
    form = _when_offered(staff, "/ship")
    for row, number in enumerate(tracking):
        form.locator("input[name=tracking_number]").nth(row).fill(number)
    _submit(staff, "/ship")
