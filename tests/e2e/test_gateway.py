"""The gateway: accounts and sessions, CSRF, the sign-in limit, identity forwarding and the
webhooks passed on, against the real processes (R26)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from shared.events.bus import blocking_connection
from shared.events.contracts import Envelope, encode_envelope
from shared.events.topology import Topology
from shared.web.identity import Identity, issue_token
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.support.bus import published
from tests.support.images import png
from tests.support.journey import ORDER
from tests.support.second_factor import remember, with_code
from tests.support.system import (
    BANK_SECRET,
    ROOT,
    System,
    poll,
    service_command,
    sign_up,
    staff_session,
)

PASSWORD = "correct horse battery"


def _place(system: System, browser: requests.Session, csrf: str | None) -> requests.Response:
    headers = {} if csrf is None else {"X-CSRF-Token": csrf}
    return browser.post(
        system.url("gateway", "/api/orders/orders"), json=ORDER, headers=headers, timeout=10
    )


def _new_order(system: System, browser: requests.Session, account: dict[str, Any]) -> str:
    """The id of an order a signed-up customer's browser placed through the gateway."""
    placed = _place(system, browser, account["csrf_token"])
    assert placed.status_code == 201, placed.text
    order_id: str = placed.json()["order_id"]
    return order_id


@pytest.mark.rule("R26")
def test_R26_a_customer_signs_up_orders_and_sees_only_their_own_orders(system: System) -> None:
    alice, account = sign_up(system, "alice@example.com", PASSWORD)
    order_id = _new_order(system, alice, account)
    mine = poll(
        lambda: alice.get(system.url("gateway", f"/api/orders/orders/{order_id}"), timeout=10),
        lambda r: r.status_code == 200,
    )
    assert mine.json()["customer_id"] == account["account_id"]
    bob, _ = sign_up(system, "bob@example.com", PASSWORD)
    theirs = bob.get(system.url("gateway", f"/api/orders/orders/{order_id}"), timeout=10)
    assert theirs.status_code == 404
    again = requests.post(
        system.url("gateway", "/auth/signup"),
        json={"email": "ALICE@example.com", "password": "another password"},
        timeout=10,
    )
    assert again.status_code == 409 and again.json()["error"] == "email_taken"


@pytest.mark.rule("R26")
def test_R26_a_cookie_copied_before_sign_out_no_longer_works(system: System) -> None:
    browser, account = sign_up(system, "carol@example.com", PASSWORD)
    copied = requests.Session()
    copied.cookies.update(browser.cookies)
    assert copied.get(system.url("gateway", "/auth/me"), timeout=10).status_code == 200
    out = browser.post(
        system.url("gateway", "/auth/signout"),
        headers={"X-CSRF-Token": account["csrf_token"]},
        timeout=10,
    )
    assert out.status_code == 200
    assert copied.get(system.url("gateway", "/auth/me"), timeout=10).status_code == 401
    assert copied.get(system.url("gateway", "/api/orders/orders"), timeout=10).status_code == 401


def test_a_change_without_the_csrf_token_is_refused_and_stores_nothing(system: System) -> None:
    browser, _ = sign_up(system, "dan@example.com", PASSWORD)
    refused = _place(system, browser, None)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    wrong = _place(system, browser, "not-the-token")
    assert wrong.status_code == 403
    listed = browser.get(system.url("gateway", "/api/orders/orders"), timeout=10).json()
    assert listed["orders"] == []


def test_sign_in_attempts_are_limited(system: System) -> None:
    sign_up(system, "erin@example.com", PASSWORD)
    url = system.url("gateway", "/auth/signin")
    codes = [
        requests.post(
            url, json={"email": "erin@example.com", "password": "wrong guess!!"}, timeout=10
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    right = requests.post(url, json={"email": "erin@example.com", "password": PASSWORD}, timeout=10)
    assert right.status_code == 429  # the limit holds even for the right password


def test_identity_headers_a_client_sends_are_stripped(system: System) -> None:
    browser, _ = sign_up(system, "fay@example.com", PASSWORD)
    forged = f"Bearer {issue_token('guessed-secret', Identity('staff-1', 'staff'))}"
    queues = browser.get(
        system.url("gateway", "/api/orders/queues/to_purchase"),
        headers={"Authorization": forged, "X-Cnnect-Identity": "staff"},
        timeout=10,
    )
    assert queues.status_code == 403  # still the customer: staff only
    real = requests.get(
        system.url("orders", "/queues/to_purchase"), headers={"Authorization": forged}, timeout=10
    )
    assert real.status_code == 401  # and the services refuse a token not signed by us


def test_staff_accounts_are_created_by_a_command(system: System) -> None:
    created = service_command(
        system,
        "gateway",
        "create-user",
        "--email",
        "wei@cnnect.example",
        "--role",
        "staff",
        "--password",
        "staff password 1",
        "--enrol-second-factor",
    )
    assert "created staff wei@cnnect.example" in created
    assert "second factor: otpauth://totp/CNNECT:wei%40cnnect.example?secret=" in created
    remember("wei@cnnect.example", created)  # as the operator's authenticator app
    staff = requests.Session()
    signed = staff.post(
        system.url("gateway", "/auth/signin"),
        json=with_code(
            "wei@cnnect.example", {"email": "wei@cnnect.example", "password": "staff password 1"}
        ),
        timeout=10,
    )
    assert signed.status_code == 200 and signed.json()["role"] == "staff"
    assert (
        staff.get(system.url("gateway", "/api/orders/queues/to_purchase"), timeout=10).status_code
        == 200
    )


@pytest.mark.rule("R26")
def test_staff_cannot_point_a_customers_emails_elsewhere_through_the_gateway(
    system: System,
) -> None:
    staff = staff_session(system, "redirect@cnnect.example", "staff password 5")
    csrf = staff.get(system.url("gateway", "/auth/me"), timeout=10).json()["csrf_token"]
    headers = {"X-CSRF-Token": csrf}
    moved = staff.put(
        system.url("gateway", "/api/messaging/customers/cus-someone/email"),
        json={"email": "thief@example.org"},
        headers=headers,
        timeout=10,
    )
    mailed = staff.post(
        system.url("gateway", "/api/messaging/account-mails"),
        json={"kind": "password_reset"},
        headers=headers,
        timeout=10,
    )
    # Only the gateway itself says where a customer's mail goes: to staff these do not exist.
    assert (moved.status_code, mailed.status_code) == (404, 404)
    # while the staff's other messaging routes still pass through
    answer = staff.get(system.url("gateway", "/api/messaging/queues/awaiting-reply"), timeout=10)
    assert answer.status_code == 200


def test_webhooks_reach_billing_untouched(system: System) -> None:
    body = json.dumps(
        {
            "transaction_id": "TX-GW-1",
            "reference": "no-such-billing",
            "amount": "1.00",
            "currency": "EUR",
        }
    ).encode()
    timestamp = int(time.time())
    signed = {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(BANK_SECRET, timestamp, body),
        "Content-Type": "application/json",
    }
    url = system.url("gateway", "/webhooks/bank")
    # Money for a reference no billing has is held for staff, never refused (issue 14).
    held = requests.post(url, data=body, headers=signed, timeout=10)
    assert held.status_code == 202, held.text
    assert held.json()["held"] is True
    forged = {**signed, SIGNATURE_HEADER: sign("not-the-bank", timestamp, body)}
    assert requests.post(url, data=body, headers=forged, timeout=10).status_code == 401


@pytest.mark.rule("R27")
def test_R27_the_console_prints_events_as_they_happen(system: System) -> None:
    console = subprocess.Popen(
        [sys.executable, "-m", "services.gateway.console", "tail", "--type", "OrderPlaced"],
        env=system.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    stdout = console.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stdout.readline, "")), daemon=True)
    reader.start()
    try:
        browser, account = sign_up(system, "gina@example.com", PASSWORD)
        placed: list[str] = []

        def place_and_look() -> list[str]:
            answer = _place(system, browser, account["csrf_token"])
            placed.append(answer.json()["order_id"])
            return [line for line in list(lines) if any(o in line for o in placed)]

        seen = poll(place_and_look, lambda found: len(found) > 0, timeout=30)
        event = json.loads(seen[0])
        assert (
            event["type"] == "OrderPlaced" and event["data"]["customer_id"] == account["account_id"]
        )
    finally:
        console.terminate()
        console.wait(timeout=10)


def _read_until(lines: Iterator[str], wanted: Callable[[str], bool], timeout: float) -> list[str]:
    """The feed's lines up to the first `wanted` one (a keep-alive comes each quiet second, so
    the deadline is checked even when nothing happens)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    for text in lines:
        seen.append(text)
        if wanted(text):
            return seen
        assert time.monotonic() < deadline, seen[-5:]
    raise AssertionError(f"the feed ended first: {seen[-5:]}")


def _placed(order_id: str) -> Callable[[str], bool]:
    return lambda text: text.startswith("data:") and order_id in text and "OrderPlaced" in text


def _probe(order_key: str) -> Envelope:
    """An event no service consumes: only the feed's own queue takes it."""
    return published("FeedProbe", "tests", f"probe-{order_key}", 1, {}, order_key)


@pytest.mark.rule("R27")
def test_R27_staff_watch_every_event_live_in_their_console(system: System) -> None:
    staff = staff_session(system, "live@cnnect.example", "staff password 2")
    customer, _ = sign_up(system, "hana@example.com", PASSWORD)
    assert customer.get(system.url("gateway", "/staff/events"), timeout=10).status_code == 403
    with staff.get(system.url("gateway", "/staff/events"), stream=True, timeout=30) as feed:
        assert feed.headers["Content-Type"].startswith("text/event-stream")
        lines = feed.iter_lines(decode_unicode=True)
        assert next(lines) == ": connected"
        browser, account = sign_up(system, "ivy@example.com", PASSWORD)
        order_id = _place(system, browser, account["csrf_token"]).json()["order_id"]
        seen = _read_until(lines, _placed(order_id), timeout=30)
        assert "event: OrderPlaced" in seen


@pytest.mark.rule("R27")
def test_R27_the_live_feed_has_every_event_from_the_moment_it_says_connected(
    system: System,
) -> None:
    staff = staff_session(system, "early@cnnect.example", "staff password 3")
    browser, account = sign_up(system, "jun@example.com", PASSWORD)
    probe = _probe(f"probe-{uuid.uuid4()}")
    with (
        blocking_connection(system.infra.amqp_url) as connection,
        staff.get(system.url("gateway", "/staff/events"), stream=True, timeout=30) as feed,
    ):
        channel = connection.channel()
        channel.confirm_delivery()
        lines = feed.iter_lines(decode_unicode=True)
        assert next(lines) == ": connected"
        # At once: the feed's queue is bound before it says "connected", so neither an event
        # published a moment later (faster than the gateway could bind) nor the order is lost.
        channel.basic_publish(
            Topology(system.namespace).exchange, probe.routing_key, encode_envelope(probe)
        )
        order_id = _new_order(system, browser, account)
        seen = _read_until(lines, lambda text: probe.ordering_key in text, timeout=10)
        assert "event: FeedProbe" in seen
        seen += _read_until(lines, _placed(order_id), timeout=10)
        assert "event: OrderPlaced" in seen


@pytest.mark.rule("R27")
def test_R27_a_feed_the_client_left_leaves_no_queue_behind(system: System) -> None:
    staff = staff_session(system, "gone@cnnect.example", "staff password 4")
    topology = Topology(system.namespace)
    probe = _probe(f"gone-{uuid.uuid4()}")
    with staff.get(system.url("gateway", "/staff/events"), stream=True, timeout=30) as feed:
        assert next(feed.iter_lines(decode_unicode=True)) == ": connected"
    with blocking_connection(system.infra.amqp_url) as connection:
        channel = connection.channel()
        channel.confirm_delivery()

        def unrouted() -> bool:
            # No service takes a probe: once the feed's queue is gone, it is unroutable.
            channel.basic_publish(topology.exchange, probe.routing_key, encode_envelope(probe))
            while (got := channel.basic_get(topology.unrouted_queue, auto_ack=True))[0]:
                if probe.ordering_key.encode() in got[2]:
                    return True
            return False

        poll(unrouted, lambda gone: gone, timeout=15)


@pytest.mark.rule("R7")
def test_a_message_form_with_a_file_submitted_twice_posts_one_message(system: System) -> None:
    browser, account = sign_up(system, "kim@example.com", PASSWORD)
    order_id = _new_order(system, browser, account)
    messages_url = system.url("gateway", f"/api/messaging/orders/{order_id}/messages")
    poll(lambda: browser.get(messages_url, timeout=10), lambda r: r.status_code == 200)
    form = {"form_key": uuid.uuid4().hex, "text": "Twice, by a double click"}
    for _ in range(2):
        # The same form, byte for byte as the browser sends it: the gateway must pass it on
        # as the same request, so the second is a replay of the first, not a refusal.
        page = browser.post(
            system.url("gateway", f"/orders/{order_id}/messages"),
            data=form,
            files=[("attachments", ("receipt.png", png(), "image/png"))],
            headers={"X-CSRF-Token": account["csrf_token"]},
            timeout=30,
        )
        assert page.status_code == 200
        flashes = re.findall(r'<p class="flash [a-z]+" role="status">([^<]*)</p>', page.text)
        assert flashes == ["Your message is sent."]
    listed = browser.get(messages_url, timeout=10).json()["messages"]
    assert [m["text"] for m in listed] == ["Twice, by a double click"]
    assert len(listed[0]["attachment_ids"]) == 1
