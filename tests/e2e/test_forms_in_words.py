"""A refused form says what is wrong in words beside the field, marks the field for assistive
technology and keeps what was typed; a step that cannot be undone asks first and says what
will happen (refunds included); a status has one name everywhere (issue 16)."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import requests
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.support.journey import Journey
from tests.support.pages import reload_until, sign_in
from tests.support.system import System, create_staff, sign_up

PASSWORD = "correct horse battery"
STAFF_EMAIL, STAFF_PASSWORD = "lin@cnnect.example", "staff password 7"
FORM = {
    "items-0-url": "https://item.taobao.com/item.htm?id=6620",
    "items-0-title": "Canvas tote bag",
    "items-0-options": "colour: navy",
    "items-0-quantity": "two",
    "items-0-unit_price_cny": "45.50",
    "items-0-domestic_shipping_cny": "8.00",
    "items-1-url": "",
    "address-name": "Alice Martin",
    "address-line1": "12 rue des Lilas",
    "address-city": "",
    "address-postal_code": "69003",
    "address-country": "France",
    "shipping_method": "SAL",
    "note": "Please pack the mugs well, 谢谢",
}


def _beside(html: str, name: str) -> str:
    """The sentence shown beside the field `name`, which must point at it (aria)."""
    field = re.search(rf'<(?:input|textarea|select) id="field-{name}"[^>]*>', html)
    assert field is not None, name
    assert 'aria-invalid="true"' in field.group(0), field.group(0)
    assert f'aria-describedby="error-{name}"' in field.group(0), field.group(0)
    said = re.search(rf'<span class="field-error" id="error-{name}">([^<]*)</span>', html)
    assert said is not None, name
    return said.group(1).replace("&#39;", "'")


def _placed(system: System, name: str) -> tuple[requests.Session, str, Journey]:
    """A customer signed up over HTTP with an order placed: their session, its CSRF token
    and their journey."""
    session, account = sign_up(system, f"{name}-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    journey = Journey(system, account["account_id"])
    journey.place()
    return session, account["csrf_token"], journey


def _refused(session: requests.Session, url: str, data: dict[str, str]) -> str:
    """A page form posted and refused (400): the page it comes back as."""
    answer = session.post(url, data=data, timeout=30)
    assert answer.status_code == 400
    return answer.text


def _customer(system: System, browser: Browser) -> tuple[Page, Journey, requests.Session]:
    email = f"words-{uuid.uuid4().hex[:6]}@example.com"
    session, journey = Journey.signed_up(system, email, PASSWORD)
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(page, system, email, PASSWORD, "/orders")
    return page, journey, session


@pytest.fixture(scope="module")
def system(system: System) -> System:
    create_staff(system, STAFF_EMAIL, STAFF_PASSWORD)
    return system


def test_a_refused_order_form_says_each_error_beside_its_field_and_keeps_what_was_typed(
    system: System,
) -> None:
    session, account = sign_up(system, f"form-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
    data = {**FORM, "csrf_token": account["csrf_token"]}
    html = _refused(session, system.url("gateway", "/orders/new"), data)
    said = "Quantity of item 1 must be a whole number, like 2."
    assert _beside(html, "items-0-quantity") == said
    assert _beside(html, "address-city") == "The city is needed, up to 100 characters."
    assert "two-letter code, like FR" in _beside(html, "address-country")
    for marshmallow_words in ("Not a valid integer", "items: 0", "address: city"):
        assert marshmallow_words not in html
    # Everything typed is kept: the items, the address, the method and the note.
    for kept in ('value="two"', 'value="Canvas tote bag"', 'value="Alice Martin"'):
        assert kept in html
    assert re.search(r'<option value="SAL"\s+selected', html)
    assert "Please pack the mugs well, 谢谢</textarea>" in html
    assert (
        session.get(system.url("gateway", "/api/orders/orders"), timeout=10).json()["orders"] == []
    )


def test_a_refused_attachment_names_the_file_beside_the_message_box_and_keeps_the_text(
    system: System, browser: Browser
) -> None:
    page, journey, _ = _customer(system, browser)
    journey.place()
    page.goto(system.url("gateway", f"/orders/{journey.order_id}"))
    reload_until(page, lambda: page.locator("#message-form").count() == 1)
    page.fill("#message-form textarea[name=text]", "Can you check the colour? 颜色")
    page.set_input_files(
        "#message-form input[name=attachments]",
        files=[FilePayload(name="setup.exe", mimeType="application/pdf", buffer=b"MZ\x90\x00")],
    )
    page.click("#send-message")
    said = page.locator("#error-message-attachments")
    expect(said).to_contain_text("setup.exe")
    expect(said).to_be_in_viewport()  # in view, not far above the message box
    field = page.locator("#field-message-attachments")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "error-message-attachments")
    expect(page.locator("#field-message-text")).to_have_value("Can you check the colour? 颜色")
    box = page.locator("#field-message-text").bounding_box()
    error_box = said.bounding_box()
    assert box is not None and error_box is not None
    assert abs(error_box["y"] - box["y"]) < 400  # beside the box, not 1,400 px away


def test_a_refused_sign_up_keeps_the_e_mail_and_says_what_is_wrong_with_the_password(
    system: System,
) -> None:
    visitor = requests.Session()
    form = visitor.get(system.url("gateway", "/signup"), timeout=10).text
    token = re.search(r'name="form_token" value="([^"]+)"', form)
    assert token is not None
    answer = visitor.post(
        system.url("gateway", "/signup"),
        data={"form_token": token.group(1), "email": "kept@example.com", "password": "short"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert 'value="kept@example.com"' in answer.text
    assert _beside(answer.text, "password").startswith("A password has 10 to")


@pytest.mark.rule("R15")
def test_R15_cancelling_asks_first_and_a_cancelled_order_says_cancelled_everywhere(
    system: System, browser: Browser
) -> None:
    page, journey, _ = _customer(system, browser)
    journey.place()
    journey.billings(1)
    page.goto(system.url("gateway", f"/orders/{journey.order_id}"))
    reload_until(page, lambda: page.locator("#cancel-order").count() == 1)
    page.click("#cancel-order")
    box = page.locator("#cancel-confirm .confirm-box")
    expect(box).to_be_visible()
    expect(box).to_contain_text("cannot be undone")
    expect(box).to_contain_text("Nothing was paid on this order")
    assert journey.order()["status"] == "applied"  # asking changed nothing
    page.click("#cancel-order-confirm")
    expect(page.locator(".flash.success")).to_contain_text("The order is cancelled.")
    expect(page.locator("h1 .status")).to_have_text("Cancelled")
    for status in page.locator("#items .status").all():
        expect(status).to_have_text("Cancelled")
    expect(page.locator("#no-action")).to_have_count(0)  # no "we will tell you"
    expect(page.locator("#shipping")).not_to_contain_text("We pack your goods")


@pytest.mark.rule("R20", "R25")
def test_R20_R25_staff_cancelling_asks_first_and_says_the_payment_goes_back_to_the_deposit(
    system: System, browser: Browser
) -> None:
    _, journey = Journey.signed_up(system, f"refund-{uuid.uuid4().hex[:6]}@example.com")
    journey.place()
    paid = journey.paid_first()
    staff = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    sign_in(staff, system, STAFF_EMAIL, STAFF_PASSWORD, "/staff")
    staff.goto(system.url("gateway", f"/staff/orders/{journey.order_id}"))
    staff.click("#cancel-order")
    box = staff.locator("#cancel-confirm .confirm-box")
    amount = f"{Decimal(paid['amount']):.2f} {paid['currency']}"
    expect(box).to_contain_text(f"What the customer paid, {amount}, goes back to their deposit")
    assert journey.order()["status"] == "purchasing"  # asking changed nothing
    staff.click("#cancel-order-confirm")
    journey.wait_status("cancelled")


def test_a_shipping_method_has_one_name_on_the_form_the_order_and_the_estimator(
    system: System, browser: Browser
) -> None:
    page, journey, _ = _customer(system, browser)
    journey.place()
    page.goto(system.url("gateway", "/orders/new"))
    on_form = page.locator("select[name=shipping_method] option[value=EMS]").inner_text()
    page.goto(system.url("gateway", f"/orders/{journey.order_id}"))
    reload_until(page, lambda: page.locator("#shipping-method").count() == 1)
    on_order = page.locator("#shipping-method").inner_text()
    estimate = requests.get(
        system.url("gateway", "/estimate"),
        params={
            "country": "FR",
            "weight_grams": "900",
            "length_cm": "30",
            "width_cm": "20",
            "height_cm": "10",
        },
        timeout=10,
    ).text
    assert on_form == on_order == "EMS express mail"
    assert "<td>EMS express mail</td>" in estimate
    assert "Surface air lifted" not in estimate  # SAL has the form's name there too


@pytest.mark.rule("R9")
def test_R9_a_refused_transfer_report_says_why_beside_the_date_and_keeps_the_payer(
    system: System,
) -> None:
    session, csrf, journey = _placed(system, "report")
    billing = journey.billings(1)[0]
    html = _refused(
        session,
        system.url("gateway", f"/billings/{billing['billing_id']}/bank-report"),
        {
            "csrf_token": csrf,
            "payer_name": "Alice Martin",
            "paid_on": "2999-01-01",
            "amount": billing["amount"],
            "currency": billing["currency"],
        },
    )
    assert _beside(html, "paid_on") == "The transfer date cannot be in the future."
    assert 'value="Alice Martin"' in html and 'value="2999-01-01"' in html


@pytest.mark.rule("R17")
def test_R17_a_refused_quantity_change_says_why_beside_that_items_quantity(
    system: System,
) -> None:
    session, csrf, journey = _placed(system, "change")
    journey.billings(1)
    html = _refused(
        session,
        system.url("gateway", f"/orders/{journey.order_id}/items"),
        {
            "csrf_token": csrf,
            "was-itm-1": "2",
            "quantity-itm-1": "1.5",
            "was-itm-2": "3",
            "quantity-itm-2": "3",
        },
    )
    assert _beside(html, "items-quantity-itm-1") == "The quantity must be a whole number, like 2."
    assert 'value="1.5"' in html  # as typed
    assert [i["quantity"] for i in journey.order()["items"]][:1] == [2]  # nothing changed


@pytest.mark.rule("R13")
def test_R13_a_refused_purchase_condition_says_why_beside_its_item_and_keeps_the_text(
    system: System,
) -> None:
    session, csrf, journey = _placed(system, "condition")
    journey.billings(1)
    typed = "Is the navy colour in stock? " * 80  # 2,320 characters: over the 2,000 allowed
    html = _refused(
        session,
        system.url("gateway", f"/orders/{journey.order_id}/items/itm-1/condition"),
        {"csrf_token": csrf, "text": typed},
    )
    said = _beside(html, "condition-itm-1-text")
    assert said == "What to confirm with the seller is needed, up to 2000 characters."
    assert f'value="{typed}"' in html.replace("&#39;", "'")  # kept as typed
    assert '<details class="condition-form" open>' in html  # in view, not folded
    assert all(i.get("condition") is None for i in journey.order()["items"])  # nothing stored
