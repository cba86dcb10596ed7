"""Bodies a JSON parser reads badly, sent to every JSON route of the running system, through
the gateway and to each service directly: nesting a thousand levels deep (which answered 500),
NaN and Infinity, numbers too large to be any quantity or amount, a key given twice, bytes
that are not UTF-8, half a surrogate pair (which answered 500 too), a charset other than UTF-8,
a body of megabytes. Each is refused with our error body, 400 (415 for a charset we do not
read, 413 for the size) and a sentence, and stores nothing. A UTF-8 byte order mark is
the one edge case accepted: the body after it is read as if the mark were not there.

The parser itself, case by case and fast: tests/unit/test_json_input.py."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from deploy.paypal_standin import DEFAULT_WEBHOOK_ID, PayPalStandIn
from shared.web.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.support.fuzzing import AWKWARD_JSON
from tests.support.journey import ORDER
from tests.support.stored import nothing_stored
from tests.support.system import BANK_SECRET, System, sign_up

JSON = "application/json"
BAD = (400, "invalid_json")
CHARSET = (415, "unsupported_charset")


def _expected(content_type: str) -> tuple[int, str]:
    """A charset we do not read is a 415; every other awkward body a 400."""
    return CHARSET if "charset=" in content_type else BAD


@dataclass(frozen=True)
class Route:
    """A JSON route and how a caller who may use it sends a body to it."""

    name: str
    send: Callable[[bytes, str], requests.Response]


def _routes(system: System) -> list[Route]:
    browser, account = sign_up(system, f"parser-{time.monotonic_ns()}@cnnect.example")
    csrf = {"X-CSRF-Token": account["csrf_token"]}
    customer = system.token("cus-parser-attack")
    staff = system.token("staff-parser-attack", "staff")

    def gateway(path: str, signed_in: bool = True) -> Route:
        client = browser if signed_in else requests.Session()

        def send(body: bytes, content_type: str) -> requests.Response:
            headers = {"Content-Type": content_type, **(csrf if signed_in else {})}
            url = system.url("gateway", path)
            return client.post(url, data=body, headers=headers, timeout=30)

        return Route(f"gateway {path}", send)

    def service(name: str, path: str, who: dict[str, str], method: str = "POST") -> Route:
        def send(body: bytes, content_type: str) -> requests.Response:
            headers = {"Content-Type": content_type, **who}
            url = system.url(name, path)
            return requests.request(method, url, data=body, headers=headers, timeout=30)

        return Route(f"{name} {method} {path}", send)

    def bank_webhook(via: str) -> Route:
        def send(body: bytes, content_type: str) -> requests.Response:
            # Genuinely signed: the signature is checked first, then the body is read.
            stamp = int(time.time())
            headers = {
                "Content-Type": content_type,
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(BANK_SECRET, stamp, body),
            }
            url = system.url(via, "/webhooks/bank")
            return requests.post(url, data=body, headers=headers, timeout=30)

        return Route(f"{via} /webhooks/bank", send)

    billing_report = "/billings/bil-parser-nowhere/payment-reports"
    return [
        gateway("/auth/signup", signed_in=False),
        gateway("/api/orders/orders"),
        gateway("/api/messaging/inquiries"),
        gateway("/api/shipping/estimate"),
        gateway(f"/api/billing{billing_report}"),
        bank_webhook("gateway"),
        service("orders", "/orders", customer),
        service("messaging", "/inquiries", customer),
        service("shipping", "/estimate", {}),
        service("shipping", "/methods/SEA/rates", staff, "PUT"),
        service("billing", billing_report, customer),
        service("billing", "/customers/cus-parser-attack/deposit/adjustments", staff),
        bank_webhook("billing"),
    ]


def test_bodies_a_json_parser_reads_badly_are_refused_with_a_sentence_on_every_route(
    system: System,
) -> None:
    routes = _routes(system)
    wrong: list[str] = []
    with nothing_stored(system):
        for route in routes:
            for name, body, content_type in AWKWARD_JSON:
                status, code = _expected(content_type)
                answer = route.send(body, content_type)
                try:
                    refusal = answer.json()
                except ValueError:
                    refusal = None
                if not (
                    answer.status_code == status
                    and isinstance(refusal, dict)
                    and refusal.get("error") == code
                    and isinstance(refusal.get("message"), str)
                    and refusal["message"]
                ):
                    wrong.append(f"{route.name}, {name}: {answer.status_code} {answer.text[:200]}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("via", ["gateway", "shipping"])
def test_a_utf8_byte_order_mark_before_the_json_is_read_past(system: System, via: str) -> None:
    body = b'{"country": "FR", "weight_grams": 900, "length_cm": 30, "width_cm": 20, '
    body += b'"height_cm": 10}'
    path = "/api/shipping/estimate" if via == "gateway" else "/estimate"
    url = system.url(via, path)
    plain = requests.post(url, data=body, headers={"Content-Type": JSON}, timeout=10)
    marked = requests.post(
        url, data=b"\xef\xbb\xbf" + body, headers={"Content-Type": JSON}, timeout=10
    )
    assert plain.status_code == 200, plain.text
    assert (marked.status_code, marked.json()) == (200, plain.json())


def _unreadable_notices() -> list[dict[str, Any]]:
    """Capture notices PayPal would never send, each wrong in one part."""
    resource = {
        "id": "CAP-PARSER",
        "status": "COMPLETED",
        "amount": {"value": "10.00", "currency_code": "EUR"},
        "custom_id": "bil-parser-nowhere",
    }
    notice = {"id": "WH-PARSER", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": resource}
    refund = {**notice, "event_type": "PAYMENT.CAPTURE.REFUNDED"}
    return [
        {"event_type": "PAYMENT.CAPTURE.COMPLETED"},
        {**notice, "resource": []},
        {**notice, "id": 5},
        {**notice, "resource": {**resource, "amount": "10.00"}},
        {**notice, "resource": {**resource, "amount": {"value": "NaN", "currency_code": "EUR"}}},
        {**notice, "resource": {**resource, "amount": {"value": "1E+999", "currency_code": "EUR"}}},
        {**notice, "resource": {**resource, "amount": {"value": "1.00", "currency_code": "XXX"}}},
        {**refund, "resource": {**resource, "links": [{"rel": "up", "href": "https://x/"}]}},
    ]


@pytest.mark.rule("R11")
@pytest.mark.parametrize("via", ["gateway", "billing"])
def test_R11_an_authentic_paypal_notice_that_cannot_be_read_is_a_400_storing_nothing(
    system: System, paypal: PayPalStandIn, via: str
) -> None:
    wrong = []
    with nothing_stored(system):
        for event in _unreadable_notices():
            headers, body = paypal.signed_webhook(event, DEFAULT_WEBHOOK_ID)
            url = system.url(via, "/webhooks/paypal")
            answer = requests.post(url, data=body, headers=headers, timeout=30)
            if answer.status_code != 400 or answer.json()["error"] != "validation_error":
                wrong.append(f"{body[:90]!r}: {answer.status_code} {answer.text[:200]}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_json_body_of_megabytes_is_refused_unread_through_the_gateway_and_directly(
    system: System, chunked: bool
) -> None:
    body = b'{"note": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    headers = {"Content-Type": JSON, **system.token("cus-parser-large")}
    wrong = []
    with nothing_stored(system):
        for via, path in (
            ("gateway", "/api/shipping/estimate"),
            ("shipping", "/estimate"),
            ("orders", "/orders"),
            ("gateway", "/auth/signup"),
            ("gateway", "/webhooks/bank"),
        ):
            # A generator is sent in chunks, with no Content-Length.
            sent = iter([body[i : i + 65536] for i in range(0, len(body), 65536)])
            answer = requests.post(
                system.url(via, path), data=sent if chunked else body, headers=headers, timeout=30
            )
            if (answer.status_code, answer.json().get("error")) != (413, "json_too_large"):
                wrong.append(f"{via} {path}: {answer.status_code} {answer.text[:200]}")
    assert wrong == [], "\n".join(wrong)


def test_half_a_surrogate_pair_in_any_text_is_a_400_not_a_failure_to_store_it(
    system: System,
) -> None:
    r"""`"\ud800"` is valid JSON for a string no database can hold (no UTF-8 spells it):
    signing up, placing an order and opening an inquiry with one answered 500."""
    order = json.dumps({**ORDER, "note": "HALF"}).encode()
    inquiry = b'{"email": "a@cnnect.example", "subject": "HALF", "text": "hello"}'
    bodies = [
        ("gateway", "/auth/signup", b'{"email": "HALF@cnnect.example", "password": "long pass 1"}'),
        ("gateway", "/auth/signin", b'{"email": "a@cnnect.example", "password": "HALF"}'),
        ("gateway", "/api/messaging/inquiries", inquiry),
        ("messaging", "/inquiries", inquiry),
        ("orders", "/orders", order),
    ]
    headers = {"Content-Type": JSON, **system.token("cus-parser-surrogate")}
    wrong = []
    with nothing_stored(system):
        for via, path, body in bodies:
            sent = body.replace(b"HALF", b"\\ud800")
            answer = requests.post(system.url(via, path), data=sent, headers=headers, timeout=10)
            if (answer.status_code, answer.json().get("error")) != (400, "invalid_json"):
                wrong.append(f"{via} {path}: {answer.status_code} {answer.text[:200]}")
    assert wrong == [], "\n".join(wrong)
