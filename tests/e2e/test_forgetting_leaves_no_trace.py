"""After a customer is forgotten (issue 21), nothing of them is left in plain text anywhere
the system keeps data: no table of any database, no file, no message waiting in the broker,
no log line of any process. Their order, placed before the request and paid after it was
held back, keeps its amounts and dates, and every projection rebuilt from zero equals the
live one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from services.registry import SUBSCRIPTIONS
from shared.personal.sealing import FORGOTTEN
from tests.support.images import png_with_text
from tests.support.journey import ORDER, Journey
from tests.support.rebuild import assert_rebuild_equals_live
from tests.support.system import SIGN_UP_PASSWORD, System, poll
from tests.support.traces import in_broker, in_databases, in_logs

SERVICES = tuple(SUBSCRIPTIONS)


def _person(tag: str) -> dict[str, str]:
    """What a customer tells us, each value unique to this test run."""
    digits = "".join(str(int(c, 16) % 10) for c in tag)
    return {
        "email": f"zelda.quixote.{tag}@example.org",
        "name": f"Zelda Quixote{tag}",
        "line1": f"77 Quinceworth Lane {tag}",
        "city": f"Quillbury{tag}",
        "phone": f"+44 7700 9{digits}",
        "said": f"my doorbell code is Q{tag}Z",
    }


def _forget_me(system: System, browser: requests.Session) -> requests.Response:
    """The customer's own "Forget me" form, with their password and the confirmation."""
    csrf = browser.get(system.url("gateway", "/auth/me"), timeout=10).json()["csrf_token"]
    return browser.post(
        system.url("gateway", "/account/forget"),
        data={"csrf_token": csrf, "password": SIGN_UP_PASSWORD, "confirm": "yes"},
        allow_redirects=False,
        timeout=60,
    )


def _order_life(journey: Journey, person: dict[str, str]) -> None:
    """Pay, inspect, pack, pay shipping, ship, and the customer's report: a completed order."""
    journey.pay("first")
    journey.inspect()
    journey.pack()
    journey.pay("second")
    poll(journey.shipment, lambda s: s is not None and s["status"] == "to_ship")
    assert journey.ship(["EE300000000CN", "EE300000001CN"]).status_code == 200
    journey.wait_status("shipped")
    reported = journey.post(
        "orders",
        f"/orders/{journey.order_id}/reception-report",
        {"all_well": True, "comment": f"Thanks, {person['said']}"},
    )
    assert reported.status_code == 200, reported.text
    journey.wait_status("completed")


def _money_of(journey: Journey) -> list[tuple[Any, ...]]:
    """Each billing's kind, amount, what was paid and when it was issued."""
    return sorted(
        (b["kind"], b["amount"], b["currency"], b["paid"], b["issued_at"])
        for b in journey.billings(2)
    )


@pytest.mark.timeout(600)
def test_a_forgotten_customer_leaves_no_plain_trace_and_their_paid_order_keeps_its_money(
    system: System,
) -> None:
    person = _person(uuid.uuid4().hex[:8])
    browser, journey = Journey.signed_up(system, person["email"])
    address = {
        "name": person["name"],
        "line1": person["line1"],
        "city": person["city"],
        "postal_code": "69003",
        "country": "FR",
        "phone": person["phone"],
    }
    journey.place({**ORDER, "address": address})
    journey.conversation()
    posted = requests.post(
        system.url("messaging", f"/orders/{journey.order_id}/messages"),
        data={"text": f"Hello, {person['name']} here, {person['said']}"},
        files=[
            (
                "attachments",
                (f"{person['name']}.png", png_with_text(person["name"].encode()), "image/png"),
            )
        ],
        headers=journey.customer,
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    needles = [person[k] for k in ("email", "name", "line1", "city", "phone", "said")]

    # While the customer is known, the services answer their data plain, and the search
    # finds what is kept plain on purpose (the e-mail they sign in with): it is no blind search.
    order = journey.order()
    assert order["address"]["name"] == person["name"], order
    assert any(".accounts: " in hit for hit in in_databases(system, [person["email"]]))

    # Held back while the first billing is unpaid; the order then runs its whole life.
    held = _forget_me(system, browser)
    assert held.status_code == 409 and f"Order {journey.order_id}" in held.text
    _order_life(journey, person)
    money = _money_of(journey)
    assert [paid for *_, paid, _ in money] == [amount for _, amount, _, _, _ in money]

    forgotten = poll(lambda: _forget_me(system, browser), lambda a: a.status_code == 200)
    assert "forgotten" in forgotten.text.lower()

    # Every service that keeps the customer's data has been told, and reads them as forgotten.
    poll(journey.order, lambda o: o["address"]["name"] == FORGOTTEN)
    messages = poll(
        lambda: journey.get("messaging", f"/orders/{journey.order_id}/messages", journey.staff),
        lambda a: (
            a.status_code == 200
            and all(
                m["text"] == FORGOTTEN
                for m in a.json()["messages"]
                if m["sender_role"] == "customer"
            )
        ),
    ).json()["messages"]
    assert any(m["sender_role"] == "customer" for m in messages)
    attachment = next(a for m in messages for a in m["attachment_ids"])
    assert journey.get("messaging", f"/attachments/{attachment}", journey.staff).status_code == 410
    for service in SERVICES:
        assert_rebuild_equals_live(system, service)

    assert in_databases(system, needles) == []
    assert in_broker(system, needles) == []
    assert in_logs(system, needles) == []
    # The shop's accounting stands: the same billings, amounts, payments and dates.
    assert _money_of(journey) == money
    assert journey.order()["status"] == "completed"
