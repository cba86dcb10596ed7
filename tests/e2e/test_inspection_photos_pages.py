"""The inspection photos on the customer's pages (R18): a gallery per item with large views,
"Photos checked" recorded by orders and the next action moving on (R2), "I have a question
about this item" opening a message on that item (R7), and the order list showing each order's
first item, picture, count, total and next action (R1). Through the real processes, in
requests and in headless Chromium at desktop and phone width."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from services.gateway.entrypoints.pages.formats import money_text
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.images import png
from tests.support.journey import Journey, gateway_page
from tests.support.pages import sign_in
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.system import SIGN_UP_PASSWORD, System, poll, sign_up

WIDTHS = (1280, 375)


def _inspected(system: System, email: str) -> tuple[requests.Session, str, Journey]:
    """A signed-up customer's order, paid and inspected: the tote with two photos, the mug
    with one; the customer's browser session, its CSRF token and the journey."""
    browser, account = sign_up(system, email)
    journey = Journey(system, account["account_id"])
    journey.place()
    journey.paid_first()
    taken = {"itm-1": [png(640, 480), png(480, 640, "teal")], "itm-2": [png(320, 240)]}
    for item_id, photos in taken.items():
        for action in ("purchased", "arrival"):
            assert journey.staff_item(item_id, action).status_code == 200
        inspected = journey.inspect_item(item_id, photos)
        assert inspected.status_code == 200, inspected.text
    poll(journey.order, lambda o: o["next_action"] == "check_inspection_photos")
    return browser, account["csrf_token"], journey


@pytest.mark.rule("R18", "R2")
def test_R18_R2_the_customer_checks_the_inspection_photos_and_the_next_action_moves_on(
    system: System,
) -> None:
    browser, csrf, journey = _inspected(system, "photos-checked@example.com")
    order = f"/orders/{journey.order_id}"
    page = gateway_page(system, browser, order)
    assert 'id="next-action" href="#check-photos"' in page
    assert 'id="check-photos"' in page and 'id="photos-checked"' in page
    # Each thumbnail opens the item's gallery at that photo, large, with the next one linked.
    assert f'href="{order}/items/itm-1/photos/2"' in page
    gallery = gateway_page(system, browser, f"{order}/items/itm-1/photos/1")
    assert 'id="photo-view"' in gallery and 'id="photo-next"' in gallery
    assert "Photo 1 of 2" in gallery and 'id="photo-prev"' not in gallery
    assert browser.get(system.url("gateway", f"{order}/items/itm-1/photos/3")).status_code == 404

    checked = browser.post(
        system.url("gateway", f"{order}/photos-checked"), data={"csrf_token": csrf}, timeout=30
    )
    assert checked.status_code == 200 and "inspection photos are checked" in checked.text
    document = poll(journey.order, lambda o: o["photos_checked_at"] is not None)
    assert document["next_action"] is None and document["status"] == "inspected"
    page = gateway_page(system, browser, order)
    assert 'id="photos-checked-note"' in page and 'id="next-action"' not in page
    # Once is enough: a second "Photos checked" records nothing more.
    again = journey.post("orders", f"{order}/inspection-photos-checked", {})
    assert again.status_code == 200 and again.json()["version"] == document["version"]
    # The projection rebuilt from zero equals the live one, InspectionPhotosChecked included.
    live = assert_rebuild_equals_live(system, "orders")
    docs = [row[-1] for snapshot in live for row in snapshot.get("order_details", [])]
    assert any(d["order_id"] == journey.order_id and d["photos_checked_at"] for d in docs)


@pytest.mark.rule("R18")
def test_R18_only_the_customer_checks_the_photos_and_only_once_they_are_taken(
    system: System,
) -> None:
    _, _, journey = _inspected(system, "photos-who@example.com")
    path = f"/orders/{journey.order_id}/inspection-photos-checked"
    assert journey.post("orders", path, {}, system.token("cus-stranger")).status_code == 404
    by_staff = journey.post("orders", path, {}, journey.staff)
    assert by_staff.status_code == 400 and "only the customer" in by_staff.json()["message"]
    early = Journey(system, journey.customer_id)
    early.place()
    early.wait_status("applied")
    refused = early.post("orders", f"/orders/{early.order_id}/inspection-photos-checked", {})
    assert refused.status_code == 409 and "inspect" in refused.json()["message"]


@pytest.mark.rule("R7", "R18")
def test_R18_a_question_about_an_item_is_a_message_naming_that_item(system: System) -> None:
    browser, csrf, journey = _inspected(system, "photos-question@example.com")
    order = f"/orders/{journey.order_id}"
    question = f"{order}/items/itm-2/question"
    form = gateway_page(system, browser, question)
    assert "Enamel mug" in form and 'id="question-form"' in form

    def ask(text: str) -> requests.Response:
        data = {"csrf_token": csrf, "text": text}
        return browser.post(system.url("gateway", question), data=data, timeout=30)

    empty = ask("   ")
    assert empty.status_code == 400 and 'aria-describedby="question-error"' in empty.text
    assert 'id="question-error"' in empty.text  # the reason, beside the field
    sent = ask("Is the mug's rim chipped on the second photo?")
    assert sent.status_code == 200 and "Your question is sent" in sent.text
    messages = poll(
        lambda: journey.get("messaging", f"{order}/messages").json(),
        lambda m: bool(m.get("messages")),
    )
    [message] = messages["messages"]
    assert message["item_id"] == "itm-2" and "rim chipped" in message["text"]
    page = gateway_page(system, browser, order)
    assert re.search(r'About: <a href="#item-itm-2">Enamel mug</a>', page)
    unknown = browser.get(system.url("gateway", f"{order}/items/itm-9/question"), timeout=30)
    assert unknown.status_code == 404


@pytest.mark.rule("R1", "R2")
def test_R1_the_order_list_shows_each_orders_item_picture_count_total_and_next_action(
    system: System,
) -> None:
    browser, _, journey = _inspected(system, "photos-list@example.com")
    waiting = Journey(system, journey.customer_id)
    waiting.place()
    waiting.wait_status("applied")
    inspected = journey.order()
    listed = gateway_page(system, browser, "/orders")
    card = listed[listed.index(f'id="order-{journey.order_id}"') :]
    card = card[: card.index("</li>")]
    photo = inspected["items"][0]["photo_ids"][0]
    assert f"/api/orders/orders/{journey.order_id}/photos/{photo}" in card
    assert "Canvas tote bag" in card and "and 1 more" in card and "2 items" in card
    assert money_text(inspected["first_billing"]["amount"]) in card  # the billed total (R4)
    assert "Check the inspection photos" in card
    other = listed[listed.index(f'id="order-{waiting.order_id}"') :]
    assert "/static/item-placeholder.svg" in other[: other.index("</li>")]
    assert browser.get(system.url("gateway", "/static/item-placeholder.svg")).status_code == 200


@pytest.mark.rule("R18")
def test_R18_the_gallery_works_by_keyboard_and_fits_a_phone(system: System) -> None:
    email = "photos-browser@example.com"
    _, _, journey = _inspected(system, email)
    order = f"/orders/{journey.order_id}"
    with launch_chromium() as chromium:
        page = chromium.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
        sign_in(page, system, email, SIGN_UP_PASSWORD, "/orders")
        page.goto(system.url("gateway", order))
        page.locator("#item-itm-1 a.photo-link").first.click()
        page.wait_for_url(f"**{order}/items/itm-1/photos/1")
        view = page.locator("#photo-view")
        expect(view).to_be_visible()
        assert view.evaluate("image => image.complete && image.naturalWidth > 0")
        page.keyboard.press("ArrowRight")
        page.wait_for_url(f"**{order}/items/itm-1/photos/2")
        expect(page.locator(".gallery figcaption")).to_contain_text("Photo 2 of 2")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            fits = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
            assert fits, f"the gallery scrolls sideways at {width} px"
            save_screenshot(page, f"inspection-photos-{width}")
        page.keyboard.press("Escape")
        page.wait_for_url(f"**{order}#item-itm-1")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(system.url("gateway", "/orders"))
            fits = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
            assert fits, f"the order list scrolls sideways at {width} px"
            save_screenshot(page, f"order-list-{width}")
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        page.goto(system.url("gateway", order))
        page.click("#photos-checked")
        expect(page.locator("#photos-checked-note")).to_be_visible()
        save_screenshot(page, "order-photos-checked-1280")
