"""The account page in a real browser and over HTTP (R26): the password changed only by who
knows the current one, which signs out the account's other browsers; delivery addresses kept
and picked on the order form; the list of signed-in browsers, each of which can be signed
out, or all at once. Another customer's address or session is not found, and stays as it was."""

from __future__ import annotations

import re
import uuid

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.test_accessibility import _blocking as axe_blocking
from tests.support.browser import save_screenshot
from tests.support.pages import sign_in, sign_up
from tests.support.system import System
from tests.support.system import sign_up as sign_up_over_http

PASSWORD, NEW_PASSWORD = "first long password", "second long password"
HOME = {
    "name": "Ana Lind",
    "line1": "4 Storgatan",
    "city": "Uppsala",
    "postal_code": "753 20",
    "country": "SE",
}
WORK = {
    "name": "Ana Lind (office)",
    "line1": "18 Kungsgatan",
    "city": "Stockholm",
    "postal_code": "111 43",
    "country": "SE",
    "phone": "+46 8 123 45",
}
ITEM = {
    "url": "https://item.taobao.com/item.htm?id=7731",
    "title": "Linen scarf",
    "quantity": "1",
    "unit_price_cny": "58.00",
}


def _phone(browser: Browser) -> BrowserContext:
    """A second device: a phone's browser, saying so in its User-Agent."""
    return browser.new_context(
        viewport={"width": 375, "height": 800},
        user_agent="Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    )


def _is_signed_out(page: Page, system: System) -> bool:
    page.goto(system.url("gateway", "/orders"))
    return "/signin" in page.url


def _change_password(page: Page, current: str, new: str, again: str) -> None:
    page.fill("#field-current_password", current)
    page.fill("#field-new_password", new)
    page.fill("#field-new_password_again", again)
    page.click("#password-form button[type=submit]")
    page.wait_for_load_state("load")


def _save_address(page: Page, address: dict[str, str]) -> None:
    for field, value in address.items():
        page.fill(f"#address-form input[name='address-{field}']", value)
    page.click("#address-form button[type=submit]")
    page.wait_for_load_state("load")


@pytest.mark.rule("R26")
def test_R26_the_account_page_changes_the_password_keeps_addresses_and_ends_sessions(
    system: System, browser: Browser
) -> None:
    email = f"account-{uuid.uuid4().hex[:6]}@example.com"
    laptop = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_up(laptop, system, email, PASSWORD)
    phone = _phone(browser).new_page()
    sign_in(phone, system, email, PASSWORD, "/orders")

    laptop.click("header nav a[href='/account']")
    laptop.wait_for_url("**/account")
    sessions = laptop.locator("#session-list li")
    expect(sessions).to_have_count(2)
    expect(laptop.locator("#session-list li.this-device")).to_have_count(1)
    expect(laptop.locator("#session-list")).to_contain_text("Chrome on Android")

    # A wrong current password and a weak new one: each refused beside its field; no change.
    _change_password(laptop, "not my password 1", f"{email}!", f"{email}!")
    expect(laptop.locator("#error-current_password")).to_have_text(
        "This is not your current password."
    )
    expect(laptop.locator("#error-new_password")).to_contain_text("contains your e-mail")
    problems = axe_blocking(laptop)  # axe-core: the refused form, then the filled page
    assert not _is_signed_out(phone, system)
    # Known current password: changed, and the phone is signed out; this browser is not.
    _change_password(laptop, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    expect(laptop.locator(".flash.success")).to_contain_text(
        "Your password is changed. You were signed out on 1 other device."
    )
    assert _is_signed_out(phone, system)
    expect(laptop.locator("#session-list li")).to_have_count(1)

    # Two addresses kept: the first is the default, the second is picked on the order form.
    _save_address(laptop, HOME)
    _save_address(laptop, WORK)
    listed = laptop.locator("#address-list li")
    expect(listed).to_have_count(2)
    expect(listed.first).to_contain_text("Default")
    save_screenshot(laptop, "account-1280")
    problems += axe_blocking(laptop)
    laptop.set_viewport_size({"width": 375, "height": 900})  # a phone: nothing scrolls sideways
    assert laptop.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(laptop, "account-375")
    laptop.set_viewport_size({"width": 1280, "height": 900})
    laptop.goto(system.url("gateway", "/orders/new"))
    expect(laptop.locator("#field-address-name")).to_have_value(HOME["name"])  # the default
    expect(laptop.locator("#use-saved-address")).to_be_hidden()  # the script fills at once
    laptop.select_option(
        "#saved-address", label="Ana Lind (office), 18 Kungsgatan, 111 43 Stockholm, SE"
    )
    expect(laptop.locator("#field-address-city")).to_have_value(WORK["city"])
    expect(laptop.locator("#field-address-phone")).to_have_value(WORK["phone"])
    save_screenshot(laptop, "order-form-saved-address-1280")
    problems += axe_blocking(laptop)
    assert not problems, "\n".join(problems)
    laptop.set_viewport_size({"width": 375, "height": 900})
    assert laptop.evaluate("document.documentElement.scrollWidth <= innerWidth")
    save_screenshot(laptop, "order-form-saved-address-375")
    laptop.set_viewport_size({"width": 1280, "height": 900})
    for field, value in ITEM.items():
        laptop.fill(f"input[name='items-0-{field}']", value)
    laptop.click("#order-form button[type=submit]")
    laptop.wait_for_url(re.compile(r"/orders/ord-"))
    expect(laptop.locator("main")).to_contain_text(WORK["line1"])

    # Signed in on the phone again (with the new password): two sessions, both ended at once.
    sign_in(phone, system, email, NEW_PASSWORD, "/orders")
    laptop.goto(system.url("gateway", "/account"))
    expect(laptop.locator("#session-list li")).to_have_count(2)
    laptop.click("#signout-everywhere button[type=submit]")
    laptop.wait_for_url("**/signin")
    expect(laptop.locator(".flash.success")).to_have_text("You are signed out on every device.")
    assert _is_signed_out(phone, system)
    assert _is_signed_out(laptop, system)


def _customer(system: System, name: str) -> requests.Session:
    """A new customer signed up over HTTP, whose session sends its CSRF token with each form."""
    session, _ = sign_up_over_http(system, f"{name}-{uuid.uuid4().hex[:6]}@example.com")
    me = session.get(system.url("gateway", "/auth/me"), timeout=10)
    session.headers["X-CSRF-Token"] = me.json()["csrf_token"]
    return session


def _address_ids(session: requests.Session, system: System) -> list[str]:
    page = session.get(system.url("gateway", "/account"), timeout=10)
    assert page.status_code == 200
    return re.findall(r'id="address-(adr-[0-9a-f]+)"', page.text)


def _session_ids(session: requests.Session, system: System) -> list[str]:
    page = session.get(system.url("gateway", "/account"), timeout=10)
    return re.findall(r'action="/account/sessions/([0-9a-f-]+)/signout"', page.text)


def _form(address: dict[str, str]) -> dict[str, str]:
    return {f"address-{name}": value for name, value in address.items()}


@pytest.mark.rule("R26")
def test_R26_another_customers_address_or_session_is_not_found_and_stays_as_it_was(
    system: System,
) -> None:
    owner, stranger = _customer(system, "owner"), _customer(system, "stranger")
    added = owner.post(
        system.url("gateway", "/account/addresses"), data=_form(HOME), allow_redirects=False
    )
    assert added.status_code == 303, added.text
    (address_id,) = _address_ids(owner, system)
    (session_id,) = _session_ids(owner, system)
    before = owner.get(system.url("gateway", "/account"), timeout=10).text

    tries = [
        ("GET", f"/account/addresses/{address_id}"),
        ("POST", f"/account/addresses/{address_id}"),
        ("POST", f"/account/addresses/{address_id}/default"),
        ("POST", f"/account/addresses/{address_id}/delete"),
        ("POST", f"/account/sessions/{session_id}/signout"),
    ]
    for method, path in tries:
        answer = stranger.request(
            method, system.url("gateway", path), data=_form(WORK), allow_redirects=False
        )
        assert answer.status_code == 404, (method, path, answer.status_code)
        assert HOME["line1"] not in answer.text
    picked = stranger.get(system.url("gateway", f"/orders/new?address={address_id}"), timeout=10)
    assert picked.status_code == 200 and HOME["line1"] not in picked.text

    after = owner.get(system.url("gateway", "/account"), timeout=10)
    assert after.status_code == 200  # the owner is still signed in
    assert _address_ids(owner, system) == [address_id] and HOME["line1"] in after.text
    assert re.sub(r'name="form_key" value="\w+"', "", after.text) == re.sub(
        r'name="form_key" value="\w+"', "", before
    )


@pytest.mark.rule("R26")
def test_R26_a_refused_address_comes_back_as_typed_and_an_account_keeps_at_most_ten(
    system: System,
) -> None:
    customer = _customer(system, "book")
    url = system.url("gateway", "/account/addresses")
    refused = customer.post(url, data=_form(HOME | {"country": "Sweden", "city": ""}))
    assert refused.status_code == 400
    country = 'id="error-address-country">The country is not written as expected'
    assert country in refused.text
    assert 'id="error-address-city">The city is needed' in refused.text
    assert 'value="Sweden"' in refused.text and f'value="{HOME["line1"]}"' in refused.text
    assert _address_ids(customer, system) == []
    for n in range(10):
        kept = customer.post(url, data=_form(HOME | {"line1": f"{n} Storgatan"}))
        assert kept.status_code == 200, kept.text  # the account page, after its redirect
    eleventh = customer.post(url, data=_form(HOME | {"line1": "11 Storgatan"}))
    assert eleventh.status_code == 400
    assert "You can keep at most 10 addresses" in eleventh.text
    assert 'value="11 Storgatan"' in eleventh.text
    assert len(_address_ids(customer, system)) == 10


@pytest.mark.rule("R26")
def test_R26_an_orders_address_is_kept_when_the_customer_ticks_save_and_only_once(
    system: System,
) -> None:
    customer = _customer(system, "ticks")
    order = {f"items-0-{name}": value for name, value in ITEM.items()}
    order |= _form(WORK) | {"shipping_method": "EMS", "save_address": "yes"}
    for _ in range(2):  # the same address twice: kept once
        applied = customer.post(
            system.url("gateway", "/orders/new"), data=order, allow_redirects=False, timeout=30
        )
        assert applied.status_code == 303, applied.text
    assert len(_address_ids(customer, system)) == 1
    form = customer.get(system.url("gateway", "/orders/new"), timeout=10).text
    assert f'value="{WORK["line1"]}"' in form  # the only address, so the default one
