"""The staff console with many orders (R27): 61 orders seeded through the gateway the way
`make demo-data` seeds a few hundred; queue counts equal the orders in each state, a queue
pages, search finds an order by id, customer e-mail or name and tracking number, rows show
customers by name and e-mail and times in the staff zone with how long ago, the live feed
reads in words with Chinese and Japanese as text, and no page shows a rule id."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from playwright.sync_api import Page

from deploy.demo_data import Caller, DemoOrder, pay, seed
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.pages import staff_queue
from tests.support.second_factor import next_code
from tests.support.system import System, create_staff

# The queues count every order in the system: a system of its own, holding only these.
pytestmark = pytest.mark.own_system

STAFF_EMAIL, STAFF_PASSWORD = "queues@cnnect.example", "staff work lists password"
# More estimates than the console's old 200-row read held and many pages of 20; a few
# orders in every other state.
PER_STATE = {
    "applied": 205,
    "purchasing": 6,
    "inspected": 6,
    "awaiting_second_payment": 6,
    "shipped": 6,
    "completed": 6,
    "cancelled": 6,
}
# The queue each state waits in, on the console.
QUEUE_OF = {
    "applied": "estimates-to-review",
    "purchasing": "to-purchase",
    "inspected": "to-pack",
    "awaiting_second_payment": "awaiting-payment",
}


@pytest.fixture(scope="module")
def staff(system: System) -> Caller:
    """A staff member signed in at the gateway."""
    create_staff(system, STAFF_EMAIL, STAFF_PASSWORD)
    gateway = system.url("gateway", "")
    return Caller.signed(gateway, "signin", STAFF_EMAIL, STAFF_PASSWORD, next_code(STAFF_EMAIL))


@pytest.fixture(scope="module")
def orders(system: System, staff: Caller) -> list[DemoOrder]:
    """The seeded orders, each settled in its state."""
    return seed(system.url("gateway", ""), staff, PER_STATE, workers=6)


def _console(system: System, staff: Caller, query: str = "") -> str:
    answer = staff.session.get(system.url("gateway", f"/staff{query}"), timeout=60)
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def _count(html: str, slug: str) -> int:
    found = re.search(r'data-count="(\d+)"', staff_queue(html, slug))
    assert found is not None
    return int(found.group(1))


def _orders_in(section: str) -> set[str]:
    return set(re.findall(r'<td data-label="Order">\s*<a href="/staff/orders/([^"]+)"', section))


def _orders_in_order(section: str) -> list[str]:
    return re.findall(r'<td data-label="Order">\s*<a href="/staff/orders/([^"]+)"', section)


def _text(html: str) -> str:
    """What a reader sees: the page without its tags, scripts and attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.mark.rule("R27")
def test_R27_each_queue_counts_exactly_the_orders_in_its_state(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    html = _console(system, staff)
    for state, slug in QUEUE_OF.items():
        assert _count(html, slug) == PER_STATE[state], slug
    for slug in ("to-ship", "awaiting-arrival", "to-inspect", "problems"):
        assert _count(html, slug) == 0, slug
    assert "Estimates to review (205)" in html


@pytest.mark.rule("R27")
def test_R27_a_long_queue_pages_through_every_order_once(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    applied = {o.order_id for o in orders if o.target == "applied"}
    first = staff_queue(_console(system, staff), "estimates-to-review")
    assert "1 to 20 of 205" in first and "from-estimates-to-review=20" in first
    seen: list[str] = []
    for offset in range(0, 205, 20):
        shown = staff_queue(
            _console(system, staff, f"?from-estimates-to-review={offset}"), "estimates-to-review"
        )
        assert f"{offset + 1} to {min(offset + 20, 205)} of 205" in shown
        seen += _orders_in_order(shown)
    assert "from-estimates-to-review=200" not in first and "Next" not in shown
    assert len(seen) == 205 and set(seen) == applied  # each order on one page only
    # The service pages too, with the total of the whole queue.
    page = staff.get("orders/queues/estimates?limit=7&offset=201")
    assert page["total"] == 205 and len(page["orders"]) == 4
    refused = staff.session.get(
        system.url("gateway", "/api/orders/queues/estimates?limit=0"), timeout=30
    )
    assert refused.status_code == 400 and "limit" in refused.json()["message"]


@pytest.mark.rule("R27")
def test_R27_a_search_finds_orders_by_id_email_name_and_tracking_number(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    target = next(o for o in orders if o.target == "applied")
    by_id = _console(system, staff, f"?q={target.order_id}")
    assert _orders_in(staff_queue(by_id, "estimates-to-review")) == {target.order_id}
    assert _count(by_id, "to-purchase") == 0

    buyer = next(o for o in orders if o.target == "purchasing")
    email = _email(system, buyer)
    theirs = {o.order_id for o in orders if o.customer is buyer.customer}
    by_email = _console(system, staff, f"?q={email}")
    found = re.search(r'<section class="card found-orders".*?</section>', by_email, re.DOTALL)
    assert found is not None and _orders_in(found.group(0)) == theirs
    assert buyer.order_id in _orders_in(staff_queue(by_email, "to-purchase"))

    named = {o.order_id for o in orders if o.name == "佐藤 花子" and o.target == "inspected"}
    by_name = _console(system, staff, "?q=佐藤")
    assert _orders_in(staff_queue(by_name, "to-pack")) == named
    assert named and "佐藤 花子" in by_name

    shipped = next(o for o in orders if o.target == "shipped")
    tracking = staff.get(f"shipping/shipments/{shipped.order_id}")["tracking_numbers"][0]
    by_tracking = _console(system, staff, f"?q={tracking}")
    found = re.search(r'<section class="card found-orders".*?</section>', by_tracking, re.DOTALL)
    assert found is not None and _orders_in(found.group(0)) == {shipped.order_id}


def _email(system: System, order: DemoOrder) -> str:
    me = order.customer.session.get(system.url("gateway", "/auth/me"), timeout=30).json()
    email: str = me["email"]
    return email


@pytest.mark.rule("R27")
def test_R27_rows_show_the_customer_by_name_and_email_and_times_in_the_staff_zone(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    html = _console(system, staff)
    row = re.search(r"<tr>(?:(?!</tr>).)*?/staff/orders/(ord-[^\"]+).*?</tr>", html, re.DOTALL)
    assert row is not None
    order = next(o for o in orders if o.order_id == row.group(1))
    assert order.name in row.group(0) and _email(system, order) in row.group(0)
    text = _text(html)
    assert "times in Asia/Shanghai" in text
    assert re.search(r"\b\d{1,2} [A-Z][a-z]{2} \d\d:\d\d, (just now|\d+ min ago)", text)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "a raw ISO moment in the page"
    assert "cus-" not in text and "acc-" not in text


@pytest.mark.rule("R27")
def test_R27_no_staff_page_shows_a_rule_id(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    order = next(o for o in orders if o.target == "inspected")
    for path in ("/staff", "/staff/live", f"/staff/orders/{order.order_id}", "/staff?q=demo"):
        answer = staff.session.get(system.url("gateway", path), timeout=60)
        assert answer.status_code == 200
        assert not re.search(r"\bR\d{1,2}\b", _text(answer.text)), path


@pytest.mark.rule("R27")
def test_R27_the_live_feed_reads_in_words_with_chinese_and_japanese_as_text(
    system: System, staff: Caller, orders: list[DemoOrder]
) -> None:
    order = next(o for o in orders if o.target == "applied")
    with launch_chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [
                {"name": name, "value": value or "", "url": system.url("gateway", "/")}
                for name, value in staff.session.cookies.items()
            ]
        )
        page = context.new_page()
        page.goto(system.url("gateway", "/staff/live"))
        page.wait_for_selector('#live-events[data-connected="true"]', state="attached")
        text = "承认收到了吗 確認しました"
        order.customer.post(f"messaging/orders/{order.order_id}/messages", {"text": text})
        row = f'#live-events li.event[data-type="MessagePosted"][data-order="{order.order_id}"]'
        page.wait_for_selector(row, timeout=20_000)
        assert text in page.inner_text(f"{row} .summary")
        assert page.inner_text(f"{row} .type") == "Message posted"
        assert page.get_attribute(f"{row} a.order", "href") == f"/staff/orders/{order.order_id}"
        assert re.fullmatch(
            r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d:\d\d", page.inner_text(f"{row} .when")
        )
        assert "\\u" not in page.inner_text("#live-events")
        pay(staff, order, "first")
        paid = f'#live-events li.event[data-type="PaymentReceived"][data-order="{order.order_id}"]'
        page.wait_for_selector(paid, timeout=20_000)
        assert re.fullmatch(
            r"Payment of \d+\.\d\d EUR received as confirmed by staff for the 1st billing"
            r"; the billing is paid in full",
            page.inner_text(f"{paid} .summary"),
        )
        page.select_option("#type-filter", "OrderPlaced")
        assert page.is_hidden(row)
        page.select_option("#type-filter", "MessagePosted")
        assert page.is_visible(row)
        page.select_option("#type-filter", "")  # every row, for the screenshots
        _screenshots(system, page)
        context.close()


def _screenshots(system: System, page: Page) -> None:
    """The staff pages at desktop and phone width, for a reviewer (artifacts/staff-*)."""
    for width in (1280, 375):  # the live page first, while it shows its rows
        page.set_viewport_size({"width": width, "height": 900})
        save_screenshot(page, f"staff-live-{width}")
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in (("console", "/staff"), ("search", "/staff?q=佐藤")):
            page.goto(system.url("gateway", path))
            save_screenshot(page, f"staff-{name}-{width}")
        order = page.get_attribute("#found-orders a", "href")
        if order:
            page.goto(system.url("gateway", order))
            save_screenshot(page, f"staff-order-{width}")
