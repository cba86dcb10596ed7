"""SQL, header and markup injection, NUL characters, right-to-left overrides and very long
strings in every text field of the main write routes. A value is either stored verbatim, as
the text it is (parameters are always bound: nothing is ever SQL), or refused with a 400; no
answer is a 5xx, no answer carries an injected header, every table is still there, and markup
a customer wrote is escaped on the gateway's pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
import requests

from tests.support.journey import ORDER, Journey
from tests.support.system import SERVICES, System, poll, sign_up

PAYLOADS = {
    "sql": "'; DROP TABLE events; --",
    "header": "x\r\nX-Injected: 1",
    "rtl": "\u202egnp.exe",
    "script": "<script>alert(1)</script>",
    "nul": "a\x00b",
    "long": "x" * 100_000,
}
ALWAYS_REFUSED = {"nul", "long"}  # NUL is never text we keep; no field takes 100 000 characters


@dataclass(frozen=True)
class Field:
    """A text field of a write route: `send` puts a value in it and posts the request."""

    name: str
    service: str
    send: Callable[[str], requests.Response]


def _order_with(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(ORDER))
    item, address = body["items"][0], body["address"]
    for key, value in changes.items():
        target = item if key in ("title", "options") else address if key in address else body
        target[key] = value
    return body


def _fields(system: System, journey: Journey) -> list[Field]:
    order, staff = journey.order_id, journey.staff

    def placed(**changes: Any) -> requests.Response:
        return journey.post("orders", "/orders", _order_with(**changes))

    def message(text: str) -> requests.Response:
        return requests.post(
            system.url("messaging", f"/orders/{order}/messages"),
            data={"text": text},
            headers=journey.customer,
            timeout=10,
        )

    def placing(name: str) -> Callable[[str], requests.Response]:
        return lambda value: placed(**{name: value})

    return [
        *[
            Field(f"order {name}", "orders", placing(name))
            for name in ("title", "name", "line1", "line2", "city", "postal_code", "phone", "note")
        ],
        Field("order option value", "orders", lambda v: placed(options={"colour": v})),
        Field("order option name", "orders", lambda v: placed(options={v: "navy"})),
        Field(
            "purchase condition",
            "orders",
            lambda v: journey.post(
                "orders", f"/orders/{order}/items/itm-2/purchase-condition", {"text": v}
            ),
        ),
        Field(
            "seller's answer",
            "orders",
            lambda v: journey.post(
                "orders", f"/orders/{order}/items/itm-2/seller-confirmation", {"answer": v}, staff
            ),
        ),
        Field("message", "messaging", message),
        Field(
            "inquiry subject",
            "messaging",
            lambda v: journey.post("messaging", "/inquiries", {"subject": v, "text": "hi"}),
        ),
        Field(
            "inquiry text",
            "messaging",
            lambda v: journey.post("messaging", "/inquiries", {"text": v}),
        ),
        Field(
            "payment report payer",
            "billing",
            lambda v: journey.post(
                "billing",
                f"/billings/{order}-1/payment-reports",
                {"payer_name": v, "paid_on": "2026-11-26", "amount": "1.00", "currency": "EUR"},
            ),
        ),
        Field(
            "deposit adjustment reason",
            "billing",
            lambda v: journey.post(
                "billing",
                f"/customers/{journey.customer_id}/deposit/adjustments",
                {"amount": "1.00", "currency": "EUR", "reason": v},
                staff,
            ),
        ),
        Field(
            "sign-up e-mail",
            "gateway",
            lambda v: requests.post(
                system.url("gateway", "/auth/signup"),
                json={"email": v, "password": "a long enough password"},
                timeout=10,
            ),
        ),
    ]


def _last_position(system: System, service: str) -> int:
    with psycopg.connect(system.database_url(service)) as conn:
        row = conn.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()
    return int(row[0]) if row else 0


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _stored_verbatim(system: System, service: str, since: int, text: str) -> bool:
    """True when an event stored after `since` holds `text` exactly, as one of its strings,
    once opened (personal text is stored sealed, docs/design.md "Personal data")."""
    with psycopg.connect(system.database_url(service)) as conn:
        rows = conn.execute("SELECT data FROM events WHERE position > %s", (since,)).fetchall()
    return any(text in _strings(data) for data in system.revealed([row[0] for row in rows]))


@pytest.fixture
def journey(system: System) -> Journey:
    journey = Journey(system, "cus-attack-injection")
    journey.place()
    journey.conversation()
    journey.billings(1)
    return journey


def test_hostile_text_in_every_field_is_stored_verbatim_or_refused_and_never_a_5xx(
    system: System, journey: Journey
) -> None:
    wrong: list[str] = []
    accepted: set[tuple[str, str]] = set()
    for field in _fields(system, journey):
        for kind, payload in PAYLOADS.items():
            since = _last_position(system, field.service) if field.service in SERVICES else 0
            answer = field.send(payload)
            where = f"{field.name} <- {kind}: {answer.status_code} {answer.text[:120]}"
            if answer.status_code >= 500 or "X-Injected" in answer.headers:
                wrong.append(where)
            elif kind in ALWAYS_REFUSED and answer.status_code != 400:
                wrong.append(f"{where} (expected 400)")
            elif answer.status_code >= 400 and set(answer.json()) != {"error", "message"}:
                wrong.append(f"{where} (not the error body)")
            elif answer.status_code < 300:
                accepted.add((field.name, kind))
                if field.service in SERVICES and not _stored_verbatim(
                    system, field.service, since, payload
                ):
                    wrong.append(f"{where} (accepted, but not stored verbatim)")
    assert wrong == [], "\n".join(wrong)
    # Free text really is kept as written (the refusals above are not all there is).
    for name in ("order title", "order note", "message", "inquiry text", "purchase condition"):
        assert {(name, kind) for kind in ("sql", "header", "rtl", "script")} <= accepted, name
    _every_table_is_still_there(system)


def test_hostile_text_in_a_path_is_a_refusal_not_a_5xx(system: System, journey: Journey) -> None:
    for payload in PAYLOADS.values():
        for service, path in (("orders", "/orders/{}"), ("billing", "/billings/{}")):
            answer = journey.get(service, path.format(quote(payload, safe="")))
            assert answer.status_code in (400, 404, 414), (payload[:30], answer.text[:200])
            assert "X-Injected" not in answer.headers


def _every_table_is_still_there(system: System) -> None:
    for service in SERVICES:
        with psycopg.connect(system.database_url(service)) as conn:
            row = conn.execute("SELECT to_regclass('events'), count(*) FROM events").fetchone()
        assert row is not None and row[0] is not None and row[1] > 0, service


def test_markup_a_customer_wrote_is_escaped_on_the_order_page(system: System) -> None:
    browser, account = sign_up(system, "xss@attack.example")
    browser.headers["X-CSRF-Token"] = account["csrf_token"]
    script = PAYLOADS["script"]
    placed = browser.post(
        system.url("gateway", "/api/orders/orders"),
        json=_order_with(title=script, note=script, city=script),
        timeout=10,
    )
    assert placed.status_code == 201, placed.text
    page_url = system.url("gateway", f"/orders/{placed.json()['order_id']}")
    page = poll(lambda: browser.get(page_url, timeout=10), lambda p: "&lt;script&gt;" in p.text)
    assert page.status_code == 200
    assert script not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
