"""The fake PayPal's checkout page, over real HTTP: "Pay now" sends a PAYMENT.CAPTURE.COMPLETED
webhook that billing's verifier accepts, then sends the buyer back to the order's return_url."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from services.billing.adapters.paypal_client import PayPalClient
from services.billing.adapters.paypal_webhooks import PayPalWebhookVerifier, parse_capture_event
from shared.money import Money
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.fake_paypal import FakePayPal, running_fake_paypal
from tests.support.fake_paypal_checkout import return_url

PAID_PAGE = b"<!doctype html><title>paid</title><p id='done'>back at the shop</p>"


class _Server(ThreadingHTTPServer):
    received: list[tuple[dict[str, str], bytes]]


class _Receiver(BaseHTTPRequestHandler):
    """Records webhook deliveries (POST) and plays the shop's return page (GET)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cast(_Server, self.server).received.append((dict(self.headers.items()), body))
        self._reply(200, b'{"recorded": true}', "application/json")

    def do_GET(self) -> None:
        self._reply(200, PAID_PAGE, "text/html; charset=utf-8")

    def _reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def shop() -> Iterator[_Server]:
    server = _Server(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def fake(shop: _Server) -> Iterator[FakePayPal]:
    with running_fake_paypal() as server:
        server.webhook_target = f"{_url(shop)}/webhooks/paypal"
        yield server


def _url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _order(fake: FakePayPal, shop: _Server, amount: Money) -> tuple[str, str]:
    """An order created by billing's own client: its id and approval URL."""
    with PayPalClient(fake.base_url, fake.client_id, fake.client_secret, timeout=5) as client:
        created = client.create_order(
            "b-1", amount, "req-1", f"{_url(shop)}/billing/b-1/paid?from=paypal", _url(shop)
        )
    return created.order_id, created.approval_url


def _pay(fake: FakePayPal, order_id: str) -> requests.Response:
    return requests.post(
        f"{fake.base_url}/checkoutnow", data={"token": order_id}, allow_redirects=False, timeout=10
    )


def test_the_checkout_page_shows_the_amount_and_a_pay_now_button(
    fake: FakePayPal, shop: _Server
) -> None:
    order_id, approval_url = _order(fake, shop, Money.of("12.5", "USD"))
    assert approval_url == fake.checkout_url(order_id)
    page = requests.get(approval_url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<span id="amount">12.50</span> <span id="currency">USD</span>' in page.text
    assert '<button id="pay-now" type="submit">Pay now</button>' in page.text
    assert f'name="token" value="{order_id}"' in page.text


def test_pay_now_sends_a_verifiable_capture_webhook_and_redirects_to_the_return_url(
    fake: FakePayPal, shop: _Server
) -> None:
    order_id, _ = _order(fake, shop, Money.of("12.5", "USD"))
    answer = _pay(fake, order_id)
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location._replace(query="").geturl() == f"{_url(shop)}/billing/b-1/paid"
    query = parse_qs(location.query)
    assert query["from"] == ["paypal"] and query["token"] == [order_id]
    assert len(query["PayerID"][0]) == 13
    [(headers, body)] = shop.received
    verifier = PayPalWebhookVerifier(
        fake.webhook_id, frozenset({"127.0.0.1"}), allow_insecure_local_certs=True
    )
    verifier.verify(headers, body, datetime.now(UTC))
    notice = parse_capture_event(json.loads(body))
    assert notice is not None
    assert (notice.event_type, notice.status) == ("PAYMENT.CAPTURE.COMPLETED", "COMPLETED")
    assert (notice.order_id, notice.custom_id) == (order_id, "b-1")
    assert notice.amount == Money.of("12.50", "USD")
    assert [(d.target, d.status) for d in fake.webhook_deliveries] == [(fake.webhook_target, 200)]
    # Pressing again (a double submit) redirects the same way and captures nothing more.
    again = _pay(fake, order_id)
    assert (again.status_code, again.headers["Location"]) == (303, answer.headers["Location"])
    assert len(shop.received) == 1


def test_an_unknown_order_is_not_found(fake: FakePayPal) -> None:
    assert requests.get(fake.checkout_url("NOSUCHORDER"), timeout=10).status_code == 404
    assert _pay(fake, "NOSUCHORDER").status_code == 404


def test_without_a_webhook_target_the_buyer_is_redirected_and_nothing_is_sent(
    fake: FakePayPal, shop: _Server
) -> None:
    fake.webhook_target = None
    order_id, _ = _order(fake, shop, Money.of("3", "EUR"))
    assert _pay(fake, order_id).status_code == 303
    assert shop.received == []
    [delivery] = fake.webhook_deliveries
    assert (delivery.target, delivery.status) == (None, None)


def test_the_return_url_may_come_from_the_older_application_context() -> None:
    order = {"application_context": {"return_url": "https://shop.example/paid"}}
    assert return_url(order) == "https://shop.example/paid"
    assert return_url({}) is None


def test_a_buyer_pays_in_the_browser_and_lands_back_at_the_shop(
    fake: FakePayPal, shop: _Server
) -> None:
    order_id, approval_url = _order(fake, shop, Money.of("99.99", "EUR"))
    with launch_chromium() as browser:
        page = browser.new_page()
        page.goto(approval_url)
        assert page.text_content("#amount") == "99.99"
        page.click("#pay-now")
        page.wait_for_url(lambda url: url.startswith(f"{_url(shop)}/billing/b-1/paid?"))
        assert page.text_content("#done") == "back at the shop"
        save_screenshot(page, "fake-paypal-paid")
    [(_, body)] = shop.received
    assert order_id.encode() in body
