"""The order page in Chromium, as wide as a laptop and as narrow as a phone: the order form
lands on the new order even while the read model lags (read your writes), and the page says
when the unpaid order will be cancelled (R16), readable at both widths."""

from __future__ import annotations

import threading
import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import launch_chromium, save_screenshot
from tests.support.journey import FORM_ADDRESS, FORM_ITEMS
from tests.support.lagging import read_model_held_back
from tests.support.pages import fill_order_form, reload_until, sign_up
from tests.support.system import System

PASSWORD = "correct horse battery"
WIDTHS = (1280, 375)
RELEASE_AFTER_S = 0.5  # the read model lags this long behind the form


@pytest.mark.rule("R16")
def test_R16_the_order_form_lands_on_the_order_which_says_when_it_is_cancelled_unpaid(
    system: System,
) -> None:
    with launch_chromium() as browser:
        page = browser.new_context(viewport={"width": WIDTHS[0], "height": 900}).new_page()
        sign_up(page, system, f"browser-ryw-{uuid.uuid4().hex[:6]}@example.com", PASSWORD)
        page.goto(system.url("gateway", "/orders/new"))
        fill_order_form(page, FORM_ITEMS, FORM_ADDRESS)
        with read_model_held_back(system, "orders") as release:
            timer = threading.Timer(RELEASE_AFTER_S, release)
            timer.start()
            try:
                page.click("#order-form button[type=submit]")
                page.wait_for_url("**/orders/ord-*")
            finally:
                timer.join()
        expect(page.locator("#order-id")).to_be_visible()
        expect(page.locator("#items")).to_contain_text("Canvas tote bag")
        note = page.locator("#auto-cancel-note")
        reload_until(page, lambda: note.count() == 1)
        expect(note).to_contain_text("Unpaid orders are cancelled automatically: this one on")
        expect(note).to_contain_text("time (UTC")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            box = note.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
            save_screenshot(page, f"order-page-deadlines-{width}")
