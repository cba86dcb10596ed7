"""Forgetting and exporting a customer through the gateway (issue 21): who may do which, the
legal hold of an open order, the customer's own "Forget me" with their password, an admin's
forgetting from the staff console's customer page, and "Download my data" holding everything
of its customer and nothing of anyone else's."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from typing import Any

import pytest
import requests

from tests.support.images import png
from tests.support.journey import Journey
from tests.support.owned import owned_objects
from tests.support.second_factor import with_code
from tests.support.system import SIGN_UP_PASSWORD, System, create_staff, poll, staff_session

STAFF_PASSWORD = "staff password long enough"


def _email(who: str) -> str:
    return f"{who}-{uuid.uuid4().hex[:8]}@example.com"


def _csrf(system: System, browser: requests.Session) -> str:
    answer = browser.get(system.url("gateway", "/auth/me"), timeout=10)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["csrf_token"]
    return token


def _form(
    system: System, browser: requests.Session, path: str, fields: dict[str, str]
) -> requests.Response:
    """A page's form posted as the browser, with its CSRF token."""
    return browser.post(
        system.url("gateway", path),
        data={"csrf_token": _csrf(system, browser), **fields},
        allow_redirects=False,
        timeout=60,
    )


def _admin(system: System) -> requests.Session:
    email = _email("admin")
    create_staff(system, email, STAFF_PASSWORD, role="admin")
    browser = requests.Session()
    answer = browser.post(
        system.url("gateway", "/auth/signin"),
        json=with_code(email, {"email": email, "password": STAFF_PASSWORD}),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return browser


def _signs_in(system: System, email: str) -> bool:
    answer = requests.post(
        system.url("gateway", "/auth/signin"),
        json={"email": email, "password": SIGN_UP_PASSWORD},
        timeout=10,
    )
    return answer.status_code == 200


def _customer_with_a_message(system: System, who: str) -> tuple[requests.Session, Journey, str]:
    """A signed-up customer whose order has a message of theirs with a picture attached."""
    email = _email(who)
    browser, journey = Journey.signed_up(system, email)
    journey.place()
    journey.conversation()
    posted = requests.post(
        system.url("messaging", f"/orders/{journey.order_id}/messages"),
        data={"text": f"Message of {who} {journey.customer_id}"},
        files=[("attachments", (f"{who}.png", png(colour="red"), "image/png"))],
        headers=journey.customer,
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    return browser, journey, email


def _export(system: System, browser: requests.Session) -> zipfile.ZipFile:
    answer = browser.get(system.url("gateway", "/account/export"), timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.headers["Content-Type"] == "application/zip"
    assert re.search(
        r'filename="cnnect-data-\d{4}-\d{2}-\d{2}\.zip"', answer.headers["Content-Disposition"]
    )
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _everything_in(archive: zipfile.ZipFile) -> bytes:
    return b"".join(archive.read(name) for name in archive.namelist())


@pytest.mark.rule("R26")
def test_download_my_data_holds_everything_of_its_customer_and_nothing_of_another(
    system: System,
) -> None:
    ana_browser, ana = Journey.signed_up(system, ana_email := _email("ana"))
    # Paid, inspected with a photo, a message with a file, an inquiry (tests/support/owned.py).
    ids = owned_objects(system, ana.customer_id)
    _, bo, bo_email = _customer_with_a_message(system, "bo")

    archive = _export(system, ana_browser)
    data: dict[str, Any] = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == ana_email and data["account"]["created_at"]
    assert [o["order_id"] for o in data["orders"]] == [ids["order_id"]]
    assert data["orders"][0]["address"]["name"]  # revealed, not sealed
    assert {b["order_id"] for b in data["billings"]} == {ids["order_id"]}
    assert any(b["payments"] for b in data["billings"])
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert "hello" in texts
    assert [i["messages"][0]["text"] for i in data["inquiries"]] == ["a question"]
    kept = {f["kind"]: f["path"] for f in data["files"] if f["path"]}
    assert set(kept) == {"inspection", "message"}, data["files"]
    assert kept["message"].startswith(f"files/{ids['order_id']}/message/")
    assert archive.read(kept["message"]) == png()
    assert archive.read(kept["inspection"]).startswith(b"\x89PNG")
    everything = _everything_in(archive)
    for other in (bo.order_id, bo.customer_id, bo_email, f"Message of bo {bo.customer_id}"):
        assert other.encode() not in everything, other
    assert b"pii1:" not in everything  # nothing left sealed


@pytest.mark.rule("R26")
def test_only_admins_forget_and_a_customer_only_themselves_with_their_password(
    system: System,
) -> None:
    ana_browser, ana = Journey.signed_up(system, ana_email := _email("ana"))
    _, bo = Journey.signed_up(system, bo_email := _email("bo"))
    staff = staff_session(system, _email("staff"), STAFF_PASSWORD)

    # A customer cannot use the staff route, nor staff who are not admins.
    assert (
        _form(
            system, ana_browser, f"/staff/customers/{bo.customer_id}/forget", {"confirm": "yes"}
        ).status_code
        == 403
    )
    refused = _form(system, staff, f"/staff/customers/{bo.customer_id}/forget", {"confirm": "yes"})
    assert refused.status_code == 403
    # Staff see the customer page, without the form.
    page = staff.get(system.url("gateway", f"/staff/customers/{bo.customer_id}"), timeout=10)
    assert page.status_code == 200 and bo_email in page.text and "forget-form" not in page.text

    # The customer's own form needs their password, and the box ticked.
    wrong = _form(
        system, ana_browser, "/account/forget", {"password": "not my password", "confirm": "yes"}
    )
    assert wrong.status_code == 400
    assert 'id="error-forget-password">This is not your password.' in wrong.text
    assert "not my password" not in wrong.text and "checked" in wrong.text
    unticked = _form(system, ana_browser, "/account/forget", {"password": SIGN_UP_PASSWORD})
    assert unticked.status_code == 400 and 'id="error-forget-confirm"' in unticked.text
    assert _signs_in(system, ana_email) and _signs_in(system, bo_email)

    forgotten = _form(
        system, ana_browser, "/account/forget", {"password": SIGN_UP_PASSWORD, "confirm": "yes"}
    )
    assert forgotten.status_code == 200 and "You are forgotten" in forgotten.text
    assert not _signs_in(system, ana_email)
    assert ana_browser.get(system.url("gateway", "/auth/me"), timeout=10).status_code == 401
    assert _signs_in(system, bo_email)  # the other customer is untouched
    page = staff.get(system.url("gateway", f"/staff/customers/{ana.customer_id}"), timeout=10)
    assert "forgotten customer" in page.text and ana_email not in page.text
    assert 'id="announcement">Yes' in page.text


@pytest.mark.rule("R26")
def test_an_open_order_holds_the_forgetting_back_until_it_is_settled(system: System) -> None:
    email = _email("held")
    browser, journey = Journey.signed_up(system, email)
    journey.place()
    journey.billings(1)
    admin = _admin(system)
    path = f"/staff/customers/{journey.customer_id}/forget"

    held = _form(system, admin, path, {"confirm": "yes"})
    assert held.status_code == 409, held.text[:300]
    assert (
        f"Order {journey.order_id} still has" in held.text and "to pay (1st billing)" in held.text
    )
    mine = _form(
        system, browser, "/account/forget", {"password": SIGN_UP_PASSWORD, "confirm": "yes"}
    )
    assert mine.status_code == 409 and f"Order {journey.order_id}" in mine.text
    assert _signs_in(system, email)  # nothing changed

    assert journey.post("orders", f"/orders/{journey.order_id}/cancel", {}).status_code == 200
    journey.wait_status("cancelled")
    done = poll(
        lambda: _form(system, admin, path, {"confirm": "yes"}),
        lambda answer: answer.status_code == 303,
    )
    assert done.headers["Location"].endswith(f"/staff/customers/{journey.customer_id}")
    assert not _signs_in(system, email)
    page = admin.get(system.url("gateway", f"/staff/customers/{journey.customer_id}"), timeout=10)
    assert "forgotten customer" in page.text and email not in page.text
    # The order keeps its amounts and dates, without the person.
    order = journey.get("orders", f"/orders/{journey.order_id}", journey.staff).json()
    assert order["status"] == "cancelled"
    again = _form(system, admin, path, {"confirm": "yes"})  # idempotent
    assert again.status_code == 303


@pytest.mark.rule("R26")
def test_a_forgetting_stands_while_messaging_is_down_and_forgetting_again_announces_it(
    system: System,
) -> None:
    email = _email("pending")
    _, journey = Journey.signed_up(system, email)
    admin = _admin(system)
    path = f"/staff/customers/{journey.customer_id}/forget"
    csrf = _csrf(system, admin)
    system.kill("messaging-api")
    try:
        answer = admin.post(
            system.url("gateway", path),
            data={"csrf_token": csrf, "confirm": "yes"},
            timeout=60,
        )
    finally:
        system.start("messaging-api")
        system.wait_healthy("messaging")
    assert answer.status_code == 200, answer.text[:300]  # the redirect, followed
    assert "The other services are not told yet" in answer.text
    assert "<strong>Pending</strong>" in answer.text and "forgotten customer" in answer.text
    assert not _signs_in(system, email)

    again = _form(system, admin, path, {"confirm": "yes"})
    assert again.status_code == 303
    page = admin.get(system.url("gateway", f"/staff/customers/{journey.customer_id}"), timeout=10)
    assert 'id="announcement">Yes' in page.text
