"""A small local PayPal: OAuth2 tokens, orders v2 creation, a signing certificate, webhook
deliveries signed exactly as PayPal signs them, and the buyer's checkout page (approve, then a
PAYMENT.CAPTURE.COMPLETED webhook and a redirect to the order's return_url). Real HTTP on
127.0.0.1, one thread per request."""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
import threading
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.oid import NameOID

from shared.money import MINOR_UNITS, Money
from tests.support.fake_paypal_checkout import (
    CHECKOUT_PATH,
    approved_location,
    checkout_page,
    message_page,
    new_payer_id,
    order_amount,
    order_billing_id,
    return_url,
)

CERT_PATH = "/certs/test.pem"
DEFAULT_WEBHOOK_ID = "WH-E2E-0001"  # what tests/e2e/test_card_payments.py configures billing with
HTML = "text/html; charset=utf-8"
_VALUE = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True)
class WebhookDelivery:
    """A webhook the checkout sent to `target` (None: no webhook_target set, not sent)."""

    event: dict[str, Any]
    target: str | None
    status: int | None  # the target's answer; None when not sent or unreachable
    error: str | None = None


@dataclass
class _Failure:
    path: str
    status: int
    times: int
    retry_after: str | None


class FakePayPal:
    """The PayPal subset we use, with counters and stored requests for assertions."""

    def __init__(
        self,
        client_id: str = "fake-client",
        client_secret: str = "fake-secret",
        fresh_key: bool = False,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_s = 32400
        self.requests: Counter[str] = Counter()  # path -> requests received (failed ones too)
        self.orders: dict[str, dict[str, Any]] = {}  # order id -> the request body
        # The checkout page's webhook: where "Pay now" sends PAYMENT.CAPTURE.COMPLETED (e.g.
        # billing's or the gateway's /webhooks/paypal; None: not sent) and the webhook id it is
        # signed for (billing's CNNECT_BILLING_PAYPAL_WEBHOOK_ID).
        self.webhook_target: str | None = None
        self.webhook_id = DEFAULT_WEBHOOK_ID
        self.webhook_deliveries: list[WebhookDelivery] = []
        self._approved: dict[str, str] = {}  # order id -> payer id, once "Pay now" was pressed
        self._by_request_id: dict[str, dict[str, Any]] = {}  # PayPal-Request-Id -> response
        self._tokens: set[str] = set()
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._key = _new_key() if fresh_key else _shared_key()
        self.cert_pem = _self_signed(self._key)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def billing_env(self) -> dict[str, str]:
        """The settings that point billing at this fake (its URL, credentials, webhook id and
        its local signing certificate)."""
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
        """Where the fake listens, e.g. http://127.0.0.1:54321."""
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
        return self.requests[CERT_PATH]

    @property
    def cert_url(self) -> str:
        """The signing certificate's URL (what PAYPAL-CERT-URL carries)."""
        return self.base_url + CERT_PATH

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread.start()

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
        raw_body = json.dumps(event, separators=(",", ":")).encode()
        transmission_id = str(uuid.uuid4())
        sent = (transmission_time or datetime.now(UTC)).astimezone(UTC)
        sent_text = sent.strftime("%Y-%m-%dT%H:%M:%SZ")
        message = f"{transmission_id}|{sent_text}|{webhook_id}|{zlib.crc32(raw_body)}"
        signature = self._key.sign(message.encode(), PKCS1v15(), SHA256())
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": sent_text,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url or self.cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "PAYPAL-AUTH-VERSION": "v2",
        }
        return headers, raw_body

    def checkout_url(self, order_id: str) -> str:
        """The buyer's approval page for `order_id` (the order's approve/payer-action link)."""
        return f"{self.base_url}{CHECKOUT_PATH}?token={order_id}"

    # --- request handling (called from the server's threads) ---------------------------------
    def _injected_failure(self, path: str) -> _Failure | None:
        with self._lock:
            self.requests[path] += 1
            for failure in self._failures:
                if failure.path == path and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def _issue_token(self, authorization: str, form: bytes) -> tuple[int, dict[str, Any]]:
        with self._lock:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode())
            if authorization != f"Basic {expected.decode()}":
                return 401, {"error": "invalid_client", "error_description": "Client Authn failed"}
            if parse_qs(form.decode()).get("grant_type") != ["client_credentials"]:
                return 400, {"error": "unsupported_grant_type", "error_description": "grant"}
            token = "A21AA" + secrets.token_urlsafe(24)
            self._tokens.add(token)
            return 200, {
                "scope": "https://uri.paypal.com/services/payments/payment",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-FAKE",
                "expires_in": self.token_ttl_s,
                "nonce": secrets.token_hex(8),
            }

    def _create_order(
        self, authorization: str, request_id: str | None, body: bytes
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if authorization.removeprefix("Bearer ") not in self._tokens:
                return 401, _error("AUTHENTICATION_FAILURE", "Authentication failed")
            if request_id is not None and request_id in self._by_request_id:
                return 200, self._by_request_id[request_id]
            try:
                order = json.loads(body)
                unit = order["purchase_units"][0]
                amount = unit["amount"]
                digits = MINOR_UNITS[amount["currency_code"]]
                value = amount["value"]
            except (ValueError, KeyError, IndexError, TypeError):
                return 400, _error("INVALID_REQUEST", "Request is not well-formed")
            if order.get("intent") != "CAPTURE" or not isinstance(value, str):
                return 400, _error("INVALID_REQUEST", "Request is not well-formed")
            if not _VALUE.fullmatch(value) or len(value.partition(".")[2]) != digits:
                return 422, _error("UNPROCESSABLE_ENTITY", "DECIMAL_PRECISION")
            order_id = secrets.token_hex(9).upper()[:17]
            self.orders[order_id] = order
            response = self._order_response(order_id, order)
            if request_id is not None:
                self._by_request_id[request_id] = response
            return 201, response

    def _order_response(self, order_id: str, order: dict[str, Any]) -> dict[str, Any]:
        # Like PayPal: with payment_source.paypal the payer is sent to "payer-action";
        # an order without a payment source is approved at the "approve" link.
        checkout = self.checkout_url(order_id)
        if "paypal" in order.get("payment_source", {}):
            status, rel = "PAYER_ACTION_REQUIRED", "payer-action"
        else:
            status, rel = "CREATED", "approve"
        return {
            "id": order_id,
            "status": status,
            "links": [
                {"href": f"{self.base_url}/v2/checkout/orders/{order_id}", "rel": "self"},
                {"href": checkout, "rel": rel, "method": "GET"},
            ],
        }

    def _checkout_page(self, order_id: str) -> tuple[int, bytes]:
        with self._lock:
            order = self.orders.get(order_id)
        if order is None:
            return 404, message_page("Not found", f"No order {order_id!r}.")
        return 200, checkout_page(order_id, order)

    def _approve(self, order_id: str) -> tuple[int, bytes, dict[str, str]]:
        """The buyer pressed "Pay now": capture (webhook) once, then back to the return_url."""
        with self._lock:
            order = self.orders.get(order_id)
            url = None if order is None else return_url(order)
            first = order is not None and url is not None and order_id not in self._approved
            if first:
                self._approved[order_id] = new_payer_id()
            payer_id = self._approved.get(order_id, "")
        if order is None:
            return 404, message_page("Not found", f"No order {order_id!r}."), {}
        if url is None:
            return 422, message_page("Cannot return", "The order has no return_url."), {}
        if first:
            # Sent before the redirect, so the capture is known when the buyer lands back
            # (real PayPal sends it a moment later); a second press captures nothing more.
            self._deliver_capture_completed(order_id, order)
        return 303, b"", {"Location": approved_location(url, order_id, payer_id)}

    def _deliver_capture_completed(self, order_id: str, order: dict[str, Any]) -> None:
        event = capture_completed_event(order_id, order_billing_id(order), order_amount(order))
        target = self.webhook_target
        status: int | None = None
        error: str | None = None
        if target is not None:
            headers, body = self.signed_webhook(event, self.webhook_id)
            try:
                status = requests.post(target, data=body, headers=headers, timeout=10).status_code
            except requests.RequestException as exc:
                error = str(exc)
        with self._lock:
            self.webhook_deliveries.append(WebhookDelivery(event, target, status, error))


class _Server(ThreadingHTTPServer):
    fake: FakePayPal


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    @property
    def fake(self) -> FakePayPal:
        return cast(_Server, self.server).fake

    def do_GET(self) -> None:
        if self._failed():
            return
        path, _, query = self.path.partition("?")
        if path.startswith("/certs/") and path.endswith(".pem"):
            self._reply(200, self.fake.cert_pem, "application/x-pem-file")
        elif path == CHECKOUT_PATH:
            token = parse_qs(query).get("token", [""])[0]
            self._reply(*self.fake._checkout_page(token), HTML)
        else:
            self._reply_json(404, _error("RESOURCE_NOT_FOUND", self.path))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._failed():
            return
        authorization = self.headers.get("Authorization", "")
        if self.path == "/v1/oauth2/token":
            self._reply_json(*self.fake._issue_token(authorization, body))
        elif self.path == "/v2/checkout/orders":
            request_id = self.headers.get("PayPal-Request-Id")
            self._reply_json(*self.fake._create_order(authorization, request_id, body))
        elif self.path == CHECKOUT_PATH:
            token = parse_qs(body.decode()).get("token", [""])[0]
            status, page, headers = self.fake._approve(token)
            self._reply(status, page, HTML, headers)
        else:
            self._reply_json(404, _error("RESOURCE_NOT_FOUND", self.path))

    def _failed(self) -> bool:
        failure = self.fake._injected_failure(self.path.split("?", 1)[0])
        if failure is None:
            return False
        headers = {} if failure.retry_after is None else {"Retry-After": failure.retry_after}
        self._reply_json(failure.status, _error("SERVICE_UNAVAILABLE", "injected"), headers)
        return True

    def _reply_json(
        self, status: int, data: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        self._reply(status, json.dumps(data).encode(), "application/json", headers)

    def _reply(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _error(name: str, message: str) -> dict[str, Any]:
    return {"name": name, "message": message, "debug_id": secrets.token_hex(6), "details": []}


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def _shared_key() -> rsa.RSAPrivateKey:
    """One RSA 2048 key per test process (generating one takes a good part of a second)."""
    return _new_key()


def _self_signed(key: rsa.RSAPrivateKey) -> bytes:
    """A self-signed RSA certificate (PEM) for `key`, valid from yesterday for 30 days."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-paypal-webhook-signing")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@contextmanager
def running_fake_paypal(
    client_id: str = "fake-client", client_secret: str = "fake-secret", fresh_key: bool = False
) -> Iterator[FakePayPal]:
    """A started fake PayPal (its own signing key with `fresh_key`), stopped on exit."""
    fake = FakePayPal(client_id, client_secret, fresh_key)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


# --- webhook event builders (bodies as PayPal sends them) ---------------------------------------
def _paypal_amount(amount: Money) -> dict[str, str]:
    digits = MINOR_UNITS[amount.currency]
    return {"currency_code": amount.currency, "value": f"{amount.amount:.{digits}f}"}


def _event(event_type: str, resource_type: str, resource: dict[str, Any]) -> dict[str, Any]:
    event_id = "WH-" + secrets.token_hex(8).upper()
    return {
        "id": event_id,
        "event_version": "1.0",
        "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "resource_type": resource_type,
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": f"{event_type} for {resource['amount']['value']}",
        "resource": resource,
        "links": [
            {
                "href": f"https://api.paypal.com/v1/notifications/webhooks-events/{event_id}",
                "rel": "self",
                "method": "GET",
            }
        ],
    }


def capture_event(
    event_type: str,
    status: str,
    order_id: str,
    billing_id: str,
    amount: Money,
    capture_id: str | None = None,
) -> dict[str, Any]:
    """A PAYMENT.CAPTURE.* event whose resource is the capture of `order_id`."""
    capture_id = capture_id or secrets.token_hex(9).upper()[:17]
    resource: dict[str, Any] = {
        "id": capture_id,
        "status": status,
        "amount": _paypal_amount(amount),
        "final_capture": True,
        "custom_id": billing_id,
        "supplementary_data": {"related_ids": {"order_id": order_id}},
        "links": [
            {
                "href": f"https://api.paypal.com/v2/payments/captures/{capture_id}",
                "rel": "self",
                "method": "GET",
            },
            {
                "href": f"https://api.paypal.com/v2/checkout/orders/{order_id}",
                "rel": "up",
                "method": "GET",
            },
        ],
    }
    if status == "PENDING":
        resource["status_details"] = {"reason": "PENDING_REVIEW"}
    return _event(event_type, "capture", resource)


def capture_completed_event(
    order_id: str, billing_id: str, amount: Money, capture_id: str | None = None
) -> dict[str, Any]:
    """PAYMENT.CAPTURE.COMPLETED: the money is ours."""
    return capture_event(
        "PAYMENT.CAPTURE.COMPLETED", "COMPLETED", order_id, billing_id, amount, capture_id
    )


def capture_pending_event(
    order_id: str, billing_id: str, amount: Money, capture_id: str | None = None
) -> dict[str, Any]:
    """PAYMENT.CAPTURE.PENDING: PayPal holds the capture (e.g. under review)."""
    return capture_event(
        "PAYMENT.CAPTURE.PENDING", "PENDING", order_id, billing_id, amount, capture_id
    )


def capture_denied_event(
    order_id: str, billing_id: str, amount: Money, capture_id: str | None = None
) -> dict[str, Any]:
    """PAYMENT.CAPTURE.DENIED: the capture was declined (its status is DECLINED)."""
    return capture_event(
        "PAYMENT.CAPTURE.DENIED", "DECLINED", order_id, billing_id, amount, capture_id
    )


def capture_refunded_event(
    capture_id: str, billing_id: str | None, amount: Money, refund_id: str | None = None
) -> dict[str, Any]:
    """PAYMENT.CAPTURE.REFUNDED: its resource is the refund, linked "up" to the capture."""
    refund_id = refund_id or secrets.token_hex(9).upper()[:17]
    resource: dict[str, Any] = {
        "id": refund_id,
        "status": "COMPLETED",
        "amount": _paypal_amount(amount),
        "links": [
            {
                "href": f"https://api.paypal.com/v2/payments/refunds/{refund_id}",
                "rel": "self",
                "method": "GET",
            },
            {
                "href": f"https://api.paypal.com/v2/payments/captures/{capture_id}",
                "rel": "up",
                "method": "GET",
            },
        ],
    }
    if billing_id is not None:
        resource["custom_id"] = billing_id
    return _event("PAYMENT.CAPTURE.REFUNDED", "refund", resource)
