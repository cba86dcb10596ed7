"""A local stand-in for PayPal's sandbox: OAuth2 client-credentials tokens, Orders v2 (create,
get, capture), capture refunds, the buyer's approval page, and webhooks (PAYMENT.CAPTURE.
COMPLETED, DENIED, REFUNDED) signed as PayPal signs them with a certificate it serves itself.
Real HTTP on 127.0.0.1, one thread per request; orders live in memory (a development tool).

`make run` starts it in development mode (deploy/launch.py); the e2e tests start it in-process.
It is never part of the production image."""

from __future__ import annotations

import base64
import functools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from deploy.paypal_standin import events
from deploy.paypal_standin.delivery import WebhookDelivery, deliver_with_retries
from deploy.paypal_standin.events import capture_resource, new_id, paypal_amount
from deploy.paypal_standin.http import Handler, Reply, Server, error, json_reply
from deploy.paypal_standin.orders import Order, order_view
from deploy.paypal_standin.pages import (
    CHECKOUT_PATH,
    approved_location,
    cancel_url,
    checkout_page,
    message_page,
    new_payer_id,
    order_amount,
    order_billing_id,
    return_url,
    with_query,
)
from shared.money import MINOR_UNITS, Money

DEFAULT_WEBHOOK_ID = "WH-E2E-0001"  # what the e2e tests and `make run` configure billing with


@dataclass
class _Failure:
    path: str
    status: int
    times: int
    retry_after: str | None
    stall_s: float = 0.0  # answer normally, but only after this long (a slow PayPal)


class PayPalStandIn:
    """The PayPal subset billing uses, with counters and stored requests for assertions."""

    def __init__(
        self,
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",
        fresh_key: bool = False,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_s = 32400
        self.requests: Counter[str] = Counter()  # path -> requests received (failed ones too)
        self.orders: dict[str, dict[str, Any]] = {}  # order id -> the creation request body
        # Where webhooks go (the gateway's /webhooks/paypal, as set in PayPal's dashboard;
        # None: not sent) and the webhook id they are signed for.
        self.webhook_target: str | None = None
        self.webhook_id = DEFAULT_WEBHOOK_ID
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._state: dict[str, Order] = {}
        self._by_request_id: dict[str, tuple[int, dict[str, Any]]] = {}  # PayPal-Request-Id
        self._captures: dict[str, str] = {}  # capture id -> order id
        self._tokens: set[str] = set()
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._key = events.new_key() if fresh_key else events.shared_key()
        self.cert_pem = events.self_signed(self._key)
        self.cert_path = "/certs/" + events.cert_name(self._key)
        self._server = Server((host, port), Handler)
        self._server.standin = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def billing_env(self) -> dict[str, str]:
        """The settings that point billing at this stand-in (its URL, credentials, webhook id
        and its local certificate host, which billing accepts only in development)."""
        return {
            "CNNECT_BILLING_PAYPAL_BASE_URL": self.base_url,
            "CNNECT_BILLING_PAYPAL_CLIENT_ID": self.client_id,
            "CNNECT_BILLING_PAYPAL_CLIENT_SECRET": self.client_secret,
            "CNNECT_BILLING_PAYPAL_WEBHOOK_ID": self.webhook_id,
            "CNNECT_BILLING_PAYPAL_CERT_HOSTS": "127.0.0.1",
            "CNNECT_BILLING_PAYPAL_ALLOW_INSECURE_LOCAL_CERTS": "1",
        }

    @property
    def base_url(self) -> str:
        """Where the stand-in listens, e.g. http://127.0.0.1:8199."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_requests(self) -> int:
        """Requests received at POST /v1/oauth2/token."""
        return self.requests["/v1/oauth2/token"]

    @property
    def order_requests(self) -> int:
        """Requests received at POST /v2/checkout/orders."""
        return self.requests["/v2/checkout/orders"]

    @property
    def cert_fetches(self) -> int:
        """Requests received for the signing certificate."""
        return self.requests[self.cert_path]

    @property
    def cert_url(self) -> str:
        """The signing certificate's URL (what PAYPAL-CERT-URL carries)."""
        return self.base_url + self.cert_path

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (`python -m deploy.paypal_standin`)."""
        self._server.serve_forever(poll_interval=0.5)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(
        self, path: str, status: int = 503, times: int = 1, retry_after: str | None = None
    ) -> None:
        """Answer the next `times` requests to `path` with `status` (a PayPal outage)."""
        with self._lock:
            self._failures.append(_Failure(path, status, times, retry_after))

    def stall_next(self, path: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` requests to `path` only after `seconds` (PayPal slow)."""
        with self._lock:
            self._failures.append(_Failure(path, 0, times, None, seconds))

    def revoke_tokens(self) -> None:
        """Forget every token issued so far (PayPal answers 401 to them)."""
        with self._lock:
            self._tokens.clear()

    def signed_webhook(
        self,
        event: dict[str, Any],
        webhook_id: str,
        *,
        transmission_time: datetime | None = None,
        cert_url: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a delivery of `event`, signed as PayPal signs it."""
        return events.sign(
            self._key, event, webhook_id, cert_url or self.cert_url, transmission_time
        )

    def checkout_url(self, order_id: str) -> str:
        """The buyer's approval page for `order_id` (the order's approve/payer-action link)."""
        return f"{self.base_url}{CHECKOUT_PATH}?token={order_id}"

    def order_status(self, order_id: str) -> str | None:
        """The order's status (PAYER_ACTION_REQUIRED, APPROVED, COMPLETED); None: unknown."""
        with self._lock:
            found = self._state.get(order_id)
            return None if found is None else found.status

    # --- request handling (called from the server's threads) ---------------------------------
    def injected_failure(self, path: str) -> Reply | None:
        """Count the request; the failure injected for `path`, if one is due."""
        with self._lock:
            self.requests[path] += 1
            due = next((f for f in self._failures if f.path == path and f.times > 0), None)
            if due is not None:
                due.times -= 1
        if due is None:
            return None
        if due.stall_s:
            time.sleep(due.stall_s)  # this request's thread only
            return None
        headers = {} if due.retry_after is None else {"Retry-After": due.retry_after}
        return json_reply(due.status, error("SERVICE_UNAVAILABLE", "injected"), headers)

    def issue_token(self, authorization: str, form: bytes) -> Reply:
        """POST /v1/oauth2/token (client credentials, HTTP Basic)."""
        with self._lock:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode())
            if authorization != f"Basic {expected.decode()}":
                return json_reply(
                    401, {"error": "invalid_client", "error_description": "Client Authn failed"}
                )
            if parse_qs(form.decode()).get("grant_type") != ["client_credentials"]:
                return json_reply(
                    400, {"error": "unsupported_grant_type", "error_description": "grant"}
                )
            token = "A21AA" + secrets.token_urlsafe(24)
            self._tokens.add(token)
            return json_reply(
                200,
                {
                    "scope": "https://uri.paypal.com/services/payments/payment",
                    "access_token": token,
                    "token_type": "Bearer",
                    "app_id": "APP-STANDIN",
                    "expires_in": self.token_ttl_s,
                    "nonce": secrets.token_hex(8),
                },
            )

    def authorized(self, authorization: str) -> bool:
        """Whether the bearer token is one we issued."""
        with self._lock:
            return authorization.removeprefix("Bearer ") in self._tokens

    def create_order(self, request_id: str | None, body: dict[str, Any]) -> Reply:
        """POST /v2/checkout/orders (PayPal-Request-Id makes it idempotent)."""
        try:
            unit = body["purchase_units"][0]
            amount = unit["amount"]
            digits = MINOR_UNITS[amount["currency_code"]]
            value = amount["value"]
        except (KeyError, IndexError, TypeError):
            return json_reply(400, error("INVALID_REQUEST", "Request is not well-formed"))
        if body.get("intent") != "CAPTURE" or not isinstance(value, str):
            return json_reply(400, error("INVALID_REQUEST", "Request is not well-formed"))
        whole, _, decimals = value.partition(".")
        if (
            not whole.isdigit()
            or not (decimals.isdigit() or digits == 0)
            or len(decimals) != digits
        ):
            return json_reply(422, error("UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION"))
        with self._lock:
            if request_id is not None and request_id in self._by_request_id:
                return json_reply(200, self._by_request_id[request_id][1])
            order_id = new_id()
            self.orders[order_id] = body
            self._state[order_id] = Order(body)
            response = order_view(self.base_url, order_id, self._state[order_id])
            if request_id is not None:
                self._by_request_id[request_id] = (201, response)
            return json_reply(201, response)

    def get_order(self, order_id: str) -> Reply:
        """GET /v2/checkout/orders/{id}."""
        with self._lock:
            if order_id not in self._state:
                return json_reply(404, error("RESOURCE_NOT_FOUND", f"order {order_id}"))
            return json_reply(200, order_view(self.base_url, order_id, self._state[order_id]))

    def checkout(self, order_id: str) -> Reply:
        """GET /checkoutnow?token=...: the approval page."""
        with self._lock:
            found = self._state.get(order_id)
        if found is None:
            return Reply(404, message_page("Not found", f"No order {order_id!r}."))
        return Reply(200, checkout_page(order_id, found.body))

    def buyer_decides(self, order_id: str, action: str) -> Reply:
        """POST /checkoutnow: "approve", "decline" (a card that will be declined at capture)
        or "cancel"; the buyer is sent back to the shop's return or cancel URL."""
        with self._lock:
            found = self._state.get(order_id)
            if found is None:
                return Reply(404, message_page("Not found", f"No order {order_id!r}."))
            if action == "cancel":
                url = cancel_url(found.body)
                if url is None:
                    return Reply(422, message_page("Cannot return", "The order has no cancel_url."))
                return Reply(303, b"", {"Location": with_query(url, token=order_id)})
            url = return_url(found.body)
            if url is None:
                return Reply(422, message_page("Cannot return", "The order has no return_url."))
            if found.status in ("PAYER_ACTION_REQUIRED", "CREATED"):
                found.status, found.payer_id = "APPROVED", new_payer_id()
                found.decline = action == "decline"
            payer = found.payer_id or ""
        return Reply(303, b"", {"Location": approved_location(url, order_id, payer)})

    def capture(self, order_id: str, request_id: str | None) -> Reply:
        """POST /v2/checkout/orders/{id}/capture: once approved, the money moves and the
        capture webhook follows (COMPLETED, or DENIED for the declined card)."""
        with self._lock:
            if request_id is not None and request_id in self._by_request_id:
                status, known = self._by_request_id[request_id]
                return json_reply(status, known)
            found = self._state.get(order_id)
            if found is None:
                return json_reply(404, error("RESOURCE_NOT_FOUND", f"order {order_id}"))
            if found.status != "APPROVED":
                issue = "ORDER_ALREADY_CAPTURED" if found.captures else "ORDER_NOT_APPROVED"
                return json_reply(422, error("UNPROCESSABLE_ENTITY", issue, issue))
            capture_status = "DECLINED" if found.decline else "COMPLETED"
            amount, billing_id = order_amount(found.body), order_billing_id(found.body)
            capture = capture_resource(capture_status, order_id, billing_id, amount, new_id())
            found.captures.append(capture)
            found.status = "COMPLETED"
            self._captures[capture["id"]] = order_id
            response = order_view(self.base_url, order_id, self._state[order_id])
            if request_id is not None:
                self._by_request_id[request_id] = (201, response)
        event_type = "PAYMENT.CAPTURE.DENIED" if found.decline else "PAYMENT.CAPTURE.COMPLETED"
        self.deliver(
            events.capture_event(
                event_type, capture_status, order_id, billing_id, amount, capture["id"]
            )
        )
        return json_reply(201, response)

    def refund(self, capture_id: str, body: dict[str, Any]) -> Reply:
        """POST /v2/payments/captures/{id}/refund (all, or `amount`); PAYMENT.CAPTURE.REFUNDED
        follows."""
        with self._lock:
            order_id = self._captures.get(capture_id)
            if order_id is None:
                return json_reply(404, error("RESOURCE_NOT_FOUND", f"capture {capture_id}"))
            order = self._state[order_id]
            billing_id = order_billing_id(order.body)
            amount = order_amount(order.body)
        asked = body.get("amount")
        if isinstance(asked, dict):
            try:
                amount = Money.of(str(asked["value"]), str(asked["currency_code"]))
            except (KeyError, ValueError):
                return json_reply(400, error("INVALID_REQUEST", "amount is not well-formed"))
        event = events.capture_refunded_event(capture_id, billing_id, amount)
        self.deliver(event)
        refund = event["resource"]
        return json_reply(
            201, {"id": refund["id"], "status": "COMPLETED", "amount": paypal_amount(amount)}
        )

    def deliver(self, event: dict[str, Any]) -> None:
        """Send `event` to the webhook target in the background, retrying a few times with
        growing waits (as PayPal does, if more briefly), like PayPal a moment after the fact."""
        target = self.webhook_target
        if target is None:
            with self._lock:
                self.webhook_deliveries.append(WebhookDelivery(event, None, None))
            return
        threading.Thread(target=self._deliver, args=(event, target), daemon=True).start()

    def _deliver(self, event: dict[str, Any], target: str) -> None:
        sign = functools.partial(self.signed_webhook, webhook_id=self.webhook_id)
        delivery = deliver_with_retries(event, target, sign)
        with self._lock:
            self.webhook_deliveries.append(delivery)


@contextmanager
def running_standin(
    client_id: str = "fake-client", client_secret: str = "fake-secret", fresh_key: bool = False
) -> Iterator[PayPalStandIn]:
    """A started stand-in (its own signing key with `fresh_key`), stopped on exit."""
    standin = PayPalStandIn(client_id, client_secret, fresh_key)
    standin.start()
    try:
        yield standin
    finally:
        standin.stop()
