"""The development PayPal stand-in (deploy/paypal_standin) over real HTTP, driven by billing's
own PayPal client: the approval page (amount with the card fee, approve, decline, cancel), the
capture, and webhooks that billing's verifier accepts (COMPLETED, DENIED, REFUNDED) (R10, R11).
The e2e tests use this same stand-in; `make run` runs it as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from deploy.paypal_standin import PayPalStandIn, running_standin
from deploy.paypal_standin.__main__ import REFUSAL
from deploy.paypal_standin.launching import STANDIN_NAME, standin_setup
from deploy.paypal_standin.pages import return_url
from services.billing.adapters.paypal import PayPalRejectedError
from services.billing.adapters.paypal_client import PayPalClient
from services.billing.adapters.paypal_webhooks import (
    CaptureNotice,
    PayPalWebhookVerifier,
    parse_capture_event,
)
from shared.money import Money
from tests.support.browser import launch_chromium, save_screenshot
from tests.support.ports import serving
from tests.support.system import free_port
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
RETURN = "https://cnnect.example/billings/b-9/card-returned"
PAID_PAGE = b"<!doctype html><title>paid</title><p id='done'>back at the shop</p>"


class _Server(ThreadingHTTPServer):
    received: list[tuple[dict[str, str], bytes]]
    refuse: int  # answer the next deliveries 503


class _Receiver(BaseHTTPRequestHandler):
    """Records webhook deliveries (POST) and plays the shop's return page (GET)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = cast(_Server, self.server)
        if server.refuse > 0:
            server.refuse -= 1
            self._reply(503, b"{}", "application/json")
            return
        server.received.append((dict(self.headers.items()), body))
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
    server.received, server.refuse = [], 0
    with serving(server):
        yield server


@pytest.fixture
def standin(shop: _Server) -> Iterator[PayPalStandIn]:
    with running_standin() as server:
        server.webhook_target = f"{_url(shop)}/webhooks/paypal"
        yield server


@pytest.fixture
def client(standin: PayPalStandIn) -> Iterator[PayPalClient]:
    with PayPalClient(standin.base_url, standin.client_id, standin.client_secret, 5) as paypal:
        yield paypal


def _url(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def _order(client: PayPalClient, shop: _Server, amount: Money, request_id: str = "r-1") -> str:
    """An order created by billing's own client, as billing creates it; its id."""
    created = client.create_order(
        "b-1",
        amount,
        request_id,
        f"{_url(shop)}/billing/b-1/paid?from=paypal",
        f"{_url(shop)}/billing/b-1/pay",
        description="Billing b-1: 10.00 EUR + card fee 0.50 EUR",
    )
    return created.order_id


def _decide(standin: PayPalStandIn, order_id: str, action: str) -> requests.Response:
    return requests.post(
        f"{standin.base_url}/checkoutnow",
        data={"token": order_id, "action": action},
        allow_redirects=False,
        timeout=10,
    )


def _notices(standin: PayPalStandIn, shop: _Server, count: int) -> list[CaptureNotice]:
    """The `count` webhooks the shop received, each checked by billing's verifier."""
    eventually(lambda: _assert_len(shop.received, count))
    verifier = PayPalWebhookVerifier(
        standin.webhook_id, frozenset({"127.0.0.1"}), allow_insecure_local_certs=True
    )
    found = []
    for headers, body in shop.received:
        verifier.verify(headers, body, datetime.now(UTC))
        notice = parse_capture_event(json.loads(body))
        assert notice is not None
        found.append(notice)
    return found


def _assert_len(items: list[Any], count: int) -> None:
    assert len(items) == count, items


@pytest.mark.rule("R10")
def test_the_approval_page_shows_the_amount_with_the_card_fee_and_three_choices(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("10.5", "EUR"))
    page = requests.get(standin.checkout_url(order_id), timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<span id="amount">10.50</span> <span id="currency">EUR</span>' in page.text
    assert "Billing b-1: 10.00 EUR + card fee 0.50 EUR" in page.text
    for button in ("pay-now", "pay-declined", "cancel"):
        assert f'id="{button}"' in page.text
    assert f'name="token" value="{order_id}"' in page.text


@pytest.mark.rule("R10", "R11")
def test_approving_sends_the_buyer_back_and_the_capture_sends_a_verifiable_completed_webhook(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("12.5", "EUR"))
    answer = _decide(standin, order_id, "approve")
    assert answer.status_code == 303
    location = urlsplit(answer.headers["Location"])
    assert location._replace(query="").geturl() == f"{_url(shop)}/billing/b-1/paid"
    query = parse_qs(location.query)
    assert query["from"] == ["paypal"] and query["token"] == [order_id]
    assert len(query["PayerID"][0]) == 13
    assert standin.order_status(order_id) == "APPROVED"
    assert shop.received == []  # approval alone moves no money: the shop captures

    captured = client.capture_order(order_id, f"{order_id}-capture")
    assert (captured.status, captured.capture_status) == ("COMPLETED", "COMPLETED")
    [notice] = _notices(standin, shop, 1)
    assert (notice.event_type, notice.status) == ("PAYMENT.CAPTURE.COMPLETED", "COMPLETED")
    assert (notice.order_id, notice.custom_id) == (order_id, "b-1")
    assert notice.capture_id == captured.capture_id
    assert notice.amount == Money.of("12.50", "EUR")
    # The same capture request again (a retry) answers the same and moves nothing more.
    assert client.capture_order(order_id, f"{order_id}-capture") == captured
    assert len(shop.received) == 1


@pytest.mark.rule("R10")
def test_the_declined_card_captures_nothing_and_sends_a_denied_webhook(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("7", "EUR"))
    assert _decide(standin, order_id, "decline").status_code == 303
    captured = client.capture_order(order_id, "c-1")
    assert captured.capture_status == "DECLINED"
    [notice] = _notices(standin, shop, 1)
    assert (notice.event_type, notice.status) == ("PAYMENT.CAPTURE.DENIED", "DECLINED")


@pytest.mark.rule("R10")
def test_a_refund_at_paypal_sends_a_refunded_webhook_linked_to_the_capture(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("20", "EUR"))
    _decide(standin, order_id, "approve")
    captured = client.capture_order(order_id, "c-1")
    token = client.access_token()
    answer = requests.post(
        f"{standin.base_url}/v2/payments/captures/{captured.capture_id}/refund",
        json={"amount": {"value": "5.00", "currency_code": "EUR"}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    # Each webhook is sent on its own, as PayPal sends them: the two may arrive in any order.
    notices = _notices(standin, shop, 2)
    [refunded] = [n for n in notices if n.event_type == "PAYMENT.CAPTURE.REFUNDED"]
    assert (refunded.capture_id, refunded.amount) == (captured.capture_id, Money.of("5", "EUR"))


@pytest.mark.rule("R10")
def test_cancelling_sends_the_buyer_to_the_cancel_url_and_nothing_is_sent(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("3", "EUR"))
    answer = _decide(standin, order_id, "cancel")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"{_url(shop)}/billing/b-1/pay?token={order_id}"
    assert standin.order_status(order_id) == "PAYER_ACTION_REQUIRED"
    # Not approved, so not captured: as PayPal refuses the capture of an unapproved order.
    with pytest.raises(PayPalRejectedError, match="ORDER_NOT_APPROVED"):
        client.capture_order(order_id, "c-1")
    assert shop.received == []


def test_a_webhook_the_shop_refuses_at_first_is_delivered_again(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    shop.refuse = 2
    order_id = _order(client, shop, Money.of("4", "EUR"))
    _decide(standin, order_id, "approve")
    client.capture_order(order_id, "c-1")
    _notices(standin, shop, 1)
    eventually(lambda: _assert_len(standin.webhook_deliveries, 1))
    [delivery] = standin.webhook_deliveries
    assert (delivery.status, delivery.attempts) == (200, 3)


def test_an_unknown_order_is_not_found(standin: PayPalStandIn) -> None:
    assert requests.get(standin.checkout_url("NOSUCHORDER"), timeout=10).status_code == 404
    assert _decide(standin, "NOSUCHORDER", "approve").status_code == 404


def test_the_return_url_may_come_from_the_older_application_context() -> None:
    order = {"application_context": {"return_url": "https://shop.example/paid"}}
    assert return_url(order) == "https://shop.example/paid"
    assert return_url({}) is None


def test_the_stand_in_refuses_to_start_in_production_mode() -> None:
    env = {**os.environ, "CNNECT_ENV": "production"}
    done = subprocess.run(
        [sys.executable, "-m", "deploy.paypal_standin", "--port", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert REFUSAL in done.stderr


@pytest.mark.rule("R10")
def test_a_buyer_approves_in_the_browser_and_lands_back_at_the_shop(
    standin: PayPalStandIn, client: PayPalClient, shop: _Server
) -> None:
    order_id = _order(client, shop, Money.of("99.99", "EUR"))
    with launch_chromium() as browser:
        for width, height in ((1280, 800), (375, 740)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(standin.checkout_url(order_id))
            assert page.text_content("#amount") == "99.99"
            save_screenshot(page, f"paypal-standin-approval-{width}")
            page.close()
        page = browser.new_page()
        page.goto(standin.checkout_url(order_id))
        page.click("#pay-now")
        page.wait_for_url(lambda url: url.startswith(f"{_url(shop)}/billing/b-1/paid?"))
        assert page.text_content("#done") == "back at the shop"
    assert standin.order_status(order_id) == "APPROVED"


@pytest.mark.rule("R10")
def test_the_stand_in_runs_as_make_run_starts_it_and_billing_can_use_it() -> None:
    entries, settings = standin_setup({}, 8100)
    port = free_port()
    command = entries[STANDIN_NAME].removeprefix("exec ").split()
    command[command.index("--port") + 1] = str(port)
    process = subprocess.Popen(
        [sys.executable, *command[1:]], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        assert "PayPal stand-in on" in process.stdout.readline()  # printed once listening
        base_url = f"http://127.0.0.1:{port}"
        client_id = settings["CNNECT_BILLING_PAYPAL_CLIENT_ID"]
        secret = settings["CNNECT_BILLING_PAYPAL_CLIENT_SECRET"]
        with PayPalClient(base_url, client_id, secret, 5) as paypal:
            created = paypal.create_order("b-9", Money.of("5", "EUR"), "r-9", RETURN, RETURN)
        assert created.approval_url.startswith(f"{base_url}/checkoutnow?token=")
    finally:
        process.terminate()
        process.wait(timeout=10)
