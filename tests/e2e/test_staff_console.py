"""The staff console's pages against the real processes (R27): the work queues, one order
operated form by form (payment, purchase, arrival, inspection, packing, shipping, replies),
the live feed in a browser, who is refused, and the console with a service down."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.support.browser import launch_chromium
from tests.support.images import png
from tests.support.journey import ORDER, PARCELS, Journey, gateway_page, ok_json
from tests.support.pages import staff_queue
from tests.support.system import System, poll, sign_up, staff_session

# Staff find this module's orders on the first page of each queue, which in a shared system
# would hold every module's: a system of its own.
pytestmark = pytest.mark.own_system

Fields = list[tuple[str, str]]


@pytest.fixture(scope="module")
def staff(system: System) -> requests.Session:
    """A staff member signed in to the gateway, as a browser would be."""
    return staff_session(system, "console@cnnect.example", "staff desk password")


def _journey(system: System) -> Journey:
    """A customer's order placed directly at the services (the staff side is under test)."""
    journey = Journey(system, f"cus-{uuid.uuid4().hex[:8]}")
    journey.place()
    return journey


def _hidden(html: str, action: str) -> Fields:
    """The hidden fields (CSRF token, form key, ...) of the page's form posting to `action`."""
    form = re.search(
        r'<form[^>]*action="' + re.escape(action) + r'"[^>]*>(.*?)</form>', html, re.DOTALL
    )
    assert form is not None, f"no form posting to {action}"
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1))


def _submit(
    system: System,
    staff: requests.Session,
    order_id: str,
    action: str,
    fields: Fields,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
) -> str:
    """Fill the form posting to the order page's `action` (a path below it) and send it; the
    answer is the page it redirects to, with the flash message."""
    page = f"/staff/orders/{order_id}"
    html = gateway_page(system, staff, page)
    data = _hidden(html, f"{page}/{action}") + fields
    answer = staff.post(
        system.url("gateway", f"{page}/{action}"), data=data, files=files, timeout=30
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def _in_queue(system: System, staff: requests.Session, slug: str, order_id: str) -> str:
    """The queue's part of the console, once it lists the order."""
    section: str = poll(
        lambda: staff_queue(gateway_page(system, staff, "/staff"), slug),
        lambda found: f'href="/staff/orders/{order_id}"' in found,
    )
    return section


def _item(journey: Journey, item_id: str) -> dict[str, Any]:
    order = journey.order()
    found: dict[str, Any] = next(i for i in order["items"] if i["item_id"] == item_id)
    return found


@pytest.mark.rule("R27")
def test_R27_staff_confirm_a_payment_and_the_order_moves_to_purchase(
    system: System, staff: requests.Session
) -> None:
    journey = _journey(system)
    order_id = journey.order_id
    _in_queue(system, staff, "estimates-to-review", order_id)
    billing = journey.billings(1)[0]
    action = f"billings/{billing['billing_id']}/payments"
    html = gateway_page(system, staff, f"/staff/orders/{order_id}")
    assert f'name="amount" value="{billing["balance"]}"' in html  # prefilled with the balance
    paid = [("amount", billing["balance"]), ("currency", billing["currency"])]
    done = _submit(system, staff, order_id, action, paid)
    assert "The payment is confirmed." in done
    journey.wait_status("purchasing")
    section = _in_queue(system, staff, "to-purchase", order_id)
    assert "itm-1" in section and "itm-2" in section


@pytest.mark.rule("R27")
def test_R27_staff_purchase_receive_and_inspect_an_item_with_a_photo(
    system: System, staff: requests.Session
) -> None:
    journey = _journey(system)
    journey.paid_first()
    order_id = journey.order_id
    done = _submit(system, staff, order_id, "items/itm-1/purchased", [])
    assert "The item is marked purchased." in done
    assert _item(journey, "itm-1")["status"] == "purchased"  # the page waited for it
    _in_queue(system, staff, "awaiting-arrival", order_id)
    done = _submit(system, staff, order_id, "items/itm-1/arrival", [])
    assert "arrival is recorded" in done and _item(journey, "itm-1")["status"] == "arrived"
    _in_queue(system, staff, "to-inspect", order_id)
    inspected = [("checked_quantity", "2"), ("type_matches", "true"), ("weight_grams", "800")]
    photos = [("photos", ("tote.png", png(), "image/png"))]
    done = _submit(system, staff, order_id, "items/itm-1/inspection", inspected, photos)
    assert "The inspection is recorded." in done
    item = _item(journey, "itm-1")
    assert item["status"] == "inspected" and len(item["photo_ids"]) == 1
    photo = f"/api/orders/orders/{order_id}/photos/{item['photo_ids'][0]}"
    assert f'src="{photo}"' in done
    shown = staff.get(system.url("gateway", photo), timeout=10)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/png"


@pytest.mark.rule("R27")
def test_R27_a_refused_action_says_the_services_reason(
    system: System, staff: requests.Session
) -> None:
    journey = _journey(system)
    journey.paid_first()
    base = f"/staff/orders/{journey.order_id}"
    # The arrival form is not offered for an item still to purchase; a stale page posts it.
    html = gateway_page(system, staff, base)
    fields = _hidden(html, f"{base}/items/itm-1/purchased")
    answer = staff.post(
        system.url("gateway", f"{base}/items/itm-1/arrival"), data=fields, timeout=30
    )
    assert answer.status_code == 200
    assert 'class="flash error"' in answer.text
    # The service's reason as a sentence (form_errors.sentence): a capital first.
    assert "Cannot record arrival: item itm-1 is purchasing" in answer.text, re.findall(
        r"flash error[^<]*<[^<]*", answer.text
    )
    assert _item(journey, "itm-1")["status"] == "purchasing"


@pytest.mark.rule("R27")
def test_R27_staff_pack_get_the_shipping_paid_and_ship(
    system: System, staff: requests.Session
) -> None:
    journey = _journey(system)
    journey.pay("first")
    journey.inspect()
    base = f"/staff/orders/{journey.order_id}"
    _in_queue(system, staff, "to-pack", journey.order_id)
    rows: Fields = [(name, str(parcel[name])) for parcel in PARCELS for name in parcel]
    rows += [(name, "") for name in PARCELS[0]]  # the third row left empty: ignored
    done = _submit(system, staff, journey.order_id, "parcels", rows)
    assert "The parcels are packed" in done
    shipment = journey.shipment()
    assert shipment["status"] == "awaiting_payment" and len(shipment["parcels"]) == 2
    second = next(b for b in journey.billings(2) if b["kind"] == "second")
    paid = [("amount", second["balance"]), ("currency", second["currency"])]
    done = _submit(
        system, staff, journey.order_id, f"billings/{second['billing_id']}/payments", paid
    )
    assert "The payment is confirmed." in done
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")
    html = gateway_page(system, staff, base)
    tracking: Fields = []
    for parcel, number in zip(shipment["parcels"], ("EE100001", "EE100002"), strict=True):
        tracking += [("carrier", "EMS"), ("tracking_number", number)]
        assert f'name="parcel_id" value="{parcel["parcel_id"]}"' in html
    fields = _hidden(html, f"{base}/ship")  # the CSRF token, the form key and the parcel ids
    answer = staff.post(system.url("gateway", f"{base}/ship"), data=fields + tracking, timeout=30)
    assert "The order is shipped." in answer.text
    shipped = journey.wait_status("shipped")
    assert shipped["tracking_numbers"] == ["EE100001", "EE100002"]


@pytest.mark.rule("R27")
def test_R27_staff_reply_to_a_customer_with_an_attachment(
    system: System, staff: requests.Session
) -> None:
    journey = _journey(system)
    path = f"/orders/{journey.order_id}/messages"
    asked = poll(
        lambda: journey.post("messaging", path, {"text": "Is the tote bag navy?"}),
        lambda r: r.status_code == 201,
    )
    assert asked.status_code == 201
    section = _in_queue(system, staff, "conversations-awaiting-a-reply", journey.order_id)
    assert journey.order_id in section
    text = [("text", "Yes, navy as in the listing.")]
    listing = [("attachments", ("listing.png", png(), "image/png"))]
    done = _submit(system, staff, journey.order_id, "messages", text, listing)
    assert "Your reply is sent." in done and "Yes, navy as in the listing." in done
    messages = journey.get("messaging", path).json()["messages"]
    reply = messages[-1]
    assert reply["sender_role"] == "staff" and len(reply["attachment_ids"]) == 1


@pytest.mark.rule("R27")
def test_R27_the_console_is_for_staff_only(system: System, staff: requests.Session) -> None:
    customer, account = sign_up(system, "nosy@example.com")
    csrf = account["csrf_token"]
    placed = customer.post(
        system.url("gateway", "/api/orders/orders"),
        json=ORDER,
        headers={"X-CSRF-Token": csrf},
        timeout=10,
    )
    order_id = placed.json()["order_id"]
    for path in ("/staff", "/staff/live", f"/staff/orders/{order_id}", "/staff/events"):
        assert customer.get(system.url("gateway", path), timeout=10).status_code == 403, path
    # Cancelling their own order is the customer's right, but not through the staff's form.
    refused = customer.post(
        system.url("gateway", f"/staff/orders/{order_id}/cancel"),
        data={"csrf_token": csrf, "form_key": uuid.uuid4().hex},
        timeout=10,
    )
    assert refused.status_code == 403
    mine = poll(
        lambda: ok_json(
            customer.get(system.url("gateway", f"/api/orders/orders/{order_id}"), timeout=10)
        ),
        lambda found: found is not None,
    )
    assert mine["status"] == "applied"
    visitor = requests.get(system.url("gateway", "/staff"), allow_redirects=False, timeout=10)
    assert visitor.status_code in (302, 303)
    assert visitor.headers["Location"].startswith("/signin?next=")
    posted = requests.post(
        system.url("gateway", f"/staff/orders/{order_id}/cancel"), data={}, timeout=10
    )
    assert posted.status_code == 401


@pytest.mark.rule("R27")
def test_R27_the_live_page_shows_each_event_as_it_happens(
    system: System, staff: requests.Session
) -> None:
    html = gateway_page(system, staff, "/staff/live")
    assert 'id="live-events"' in html and "/static/staff.js" in html
    script = staff.get(system.url("gateway", "/static/staff.js"), timeout=10)
    assert script.status_code == 200
    with launch_chromium() as browser:
        context = browser.new_context()
        context.add_cookies(
            [
                {"name": name, "value": value or "", "url": system.url("gateway", "/")}
                for name, value in staff.cookies.items()
            ]
        )
        page = context.new_page()
        page.goto(system.url("gateway", "/staff/live"))
        page.wait_for_selector('#live-events[data-connected="true"]', state="attached")
        order_id = _placed_while_watching(system, page)
        entry = PLACED.format(order_id)
        assert page.get_attribute(entry, "data-order") == order_id
        page.fill("#order-filter", "ord-nothing-like-it")
        assert page.is_hidden(entry)
        page.fill("#order-filter", order_id)
        assert page.is_visible(entry)
        context.close()


PLACED = '#live-events li.event[data-type="OrderPlaced"]:has-text("{}")'


def _placed_while_watching(system: System, page: Page) -> str:
    """Place orders until the feed shows one placed (the first may be published before the
    feed's queue is bound); that order's id."""
    for _ in range(3):
        journey = _journey(system)
        try:
            page.wait_for_selector(PLACED.format(journey.order_id), timeout=15_000)
        except PlaywrightTimeoutError:
            continue
        return journey.order_id
    raise AssertionError("no OrderPlaced event reached the live page")


@pytest.mark.rule("R27")
def test_R27_the_console_still_answers_with_shipping_down(
    system: System, staff: requests.Session
) -> None:
    # Last in the module: it stops a process (and starts it again).
    journey = _journey(system)
    system.kill("shipping-api")
    try:
        console = staff.get(system.url("gateway", "/staff"), timeout=30)
        assert console.status_code == 200
        assert "Shipping information is unavailable right now" in console.text
        assert 'id="queue-to-purchase"' in console.text  # the other services still show
        order = staff.get(system.url("gateway", f"/staff/orders/{journey.order_id}"), timeout=30)
        assert order.status_code == 200
        assert "Shipping information is unavailable right now" in order.text
        assert "Canvas tote bag" in order.text
    finally:
        system.start("shipping-api")
        system.wait_healthy("shipping")


def _history(html: str) -> list[str]:
    """The rows of the order page's history, newest first, as text."""
    found = re.search(r'<section class="card" id="history">(.*?)</section>', html, re.DOTALL)
    assert found is not None, "no history on the page"
    rows = re.findall(r'<tr class="history-entry">(.*?)</tr>', found.group(1), re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


@pytest.mark.rule("R27")
def test_R27_the_order_history_names_who_did_what(system: System) -> None:
    named = staff_session(
        system, "history@cnnect.example", "staff story password", name="Wei Zhang"
    )
    journey = _journey(system)
    journey.paid_first()
    done = _submit(system, named, journey.order_id, "items/itm-1/purchased", [])
    assert "The item is marked purchased." in done
    history = _history(done)
    newest = history[0]  # done by the staff member, named
    assert "Item purchased" in newest and "itm-1" in newest and newest.endswith("Wei Zhang")
    placed = [row for row in history if "Order placed" in row]
    assert len(placed) == 1 and placed[0].endswith("the customer")
    paid = [row for row in history if "First billing paid" in row]  # as billing learnt it
    assert len(paid) == 1 and paid[0].endswith("CNNECT (automatic)")
