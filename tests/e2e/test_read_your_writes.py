"""Read your writes, against the real processes: a write answers with the position it
reached (`CNNECT-Position`), and a read handed it waits (bounded) until the read model has
caught up, through the JSON API and on the page a form leads to. The read model is held back
by an open transaction in the service's database (the commit-order horizon, README "Reading
everything in order"), released a moment after the read started."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import requests

from shared.events.consistency import HEADER, WAIT_S
from tests.e2e.test_customer_pages import FORM
from tests.support.journey import ORDER
from tests.support.lagging import read_model_held_back
from tests.support.system import System, sign_up

PASSWORD = "correct horse battery"
RELEASE_AFTER_S = 0.3  # the read model lags this long behind the read


def _released_during(
    release: Callable[[], None], read: Callable[[], requests.Response]
) -> requests.Response:
    """Run `read`, releasing the read model RELEASE_AFTER_S after it started."""
    timer = threading.Timer(RELEASE_AFTER_S, release)
    timer.start()
    try:
        return read()
    finally:
        timer.join()


def _place(system: System, email: str) -> tuple[requests.Session, requests.Response]:
    browser, account = sign_up(system, email, PASSWORD)
    placed = browser.post(
        system.url("gateway", "/api/orders/orders"),
        json=ORDER,
        headers={"X-CSRF-Token": account["csrf_token"]},
        timeout=10,
    )
    assert placed.status_code == 201, placed.text
    return browser, placed


def test_an_order_just_placed_is_found_by_a_read_handed_the_position_of_the_write(
    system: System,
) -> None:
    with read_model_held_back(system, "orders") as release:
        browser, placed = _place(system, "ryw-json@example.com")
        position = placed.headers.get(HEADER)
        assert position is not None and position.startswith("orders:"), placed.headers
        url = system.url("gateway", f"/api/orders/orders/{placed.json()['order_id']}")
        # Not handed the position, a read never waits: the read model is behind, so 404.
        started = time.monotonic()
        assert browser.get(url, timeout=10).status_code == 404
        assert time.monotonic() - started < WAIT_S
        shown = _released_during(
            release, lambda: browser.get(url, headers={HEADER: position}, timeout=10)
        )
    assert shown.status_code == 200, shown.text
    assert shown.json()["order_id"] == placed.json()["order_id"]
    assert shown.json()["status"] == "applied"


def test_a_read_waits_for_the_position_no_longer_than_its_bound(system: System) -> None:
    with read_model_held_back(system, "orders"):
        browser, placed = _place(system, "ryw-bound@example.com")
        url = system.url("gateway", f"/api/orders/orders/{placed.json()['order_id']}")
        started = time.monotonic()
        late = browser.get(url, headers={HEADER: placed.headers[HEADER]}, timeout=10)
        waited = time.monotonic() - started
    assert late.status_code == 404  # answered as it is, once the bound passed
    assert WAIT_S - 0.1 <= waited < WAIT_S + 2.0


def test_a_position_no_write_gave_is_refused_with_a_reason(system: System) -> None:
    browser, _ = sign_up(system, "ryw-bad@example.com", PASSWORD)
    refused = browser.get(
        system.url("gateway", "/api/orders/orders"), headers={HEADER: "yesterday"}, timeout=10
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "validation_error"
    assert HEADER in refused.json()["message"]


def test_the_order_page_after_the_order_form_shows_the_order_while_the_read_model_lags(
    system: System,
) -> None:
    browser, account = sign_up(system, "ryw-page@example.com", PASSWORD)
    with read_model_held_back(system, "orders") as release:
        applied = browser.post(
            system.url("gateway", "/orders/new"),
            data={**FORM, "csrf_token": account["csrf_token"]},
            allow_redirects=False,
            timeout=30,
        )
        assert applied.status_code == 303, applied.text
        target = applied.headers["Location"]
        assert "/orders/ord-" in target
        shown = _released_during(
            release, lambda: browser.get(system.url("gateway", target), timeout=30)
        )
    assert shown.status_code == 200, shown.text
    assert "Canvas tote bag" in shown.text
    assert "nothing here" not in shown.text


def test_a_repeated_write_answers_with_a_position_the_read_can_wait_for(system: System) -> None:
    browser, account = sign_up(system, "ryw-repeat@example.com", PASSWORD)
    headers = {"X-CSRF-Token": account["csrf_token"], "Idempotency-Key": "ryw-repeat-1"}
    url = system.url("gateway", "/api/orders/orders")
    with read_model_held_back(system, "orders") as release:
        first = browser.post(url, json=ORDER, headers=headers, timeout=10)
        again = browser.post(url, json=ORDER, headers=headers, timeout=10)
        assert first.status_code == again.status_code == 201, again.text
        assert again.headers.get("Idempotent-Replayed") == "true"
        position = again.headers.get(HEADER)
        assert position is not None, again.headers
        order_url = system.url("gateway", f"/api/orders/orders/{again.json()['order_id']}")
        shown = _released_during(
            release, lambda: browser.get(order_url, headers={HEADER: position}, timeout=10)
        )
    assert shown.status_code == 200, shown.text
