"""Who may call what: every route of every service, called as a visitor, as customer A (who
owns the data), as customer B and as staff. The routes come from the apps' own route maps, so
a new route without an expected answer here fails the test (R26)."""

from __future__ import annotations

import re

import pytest
import requests

from shared.config import Settings
from shared.runtime import bootstrap
from tests.support.owned import owned_objects
from tests.support.rebuild import definition
from tests.support.system import SERVICES, System

OK = {200, 201}
# A write called with an empty body by someone allowed to: any answer but an auth refusal.
TRIED = {200, 201, 400, 409, 422}
PUBLIC = {"anon": OK, "A": OK, "B": OK, "staff": OK}
OWNED = {"anon": {401}, "A": OK, "B": {404}, "staff": OK}
OWNED_WRITE = {"anon": {401}, "A": TRIED, "B": {400, 404}, "staff": TRIED}
MINE = {"anon": {401}, "A": OK, "B": OK, "staff": OK}  # each caller sees their own list
MINE_WRITE = {"anon": {401}, "A": TRIED, "B": TRIED, "staff": TRIED}
STAFF = {"anon": {401}, "A": {403}, "B": {403}, "staff": OK}
STAFF_WRITE = {"anon": {401}, "A": {403}, "B": {403}, "staff": TRIED}
WEBHOOK = {"anon": {401}, "A": {401}, "B": {401}, "staff": {401}}  # no signature: refused
# Probes, metrics and documents: public on the internal network (the gateway does not pass
# /metrics on, see its own matrix).
HEALTH = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/projections")

EXPECTED: dict[tuple[str, str, str], dict[str, set[int]]] = {
    **{(s, "GET", path): PUBLIC for s in SERVICES for path in HEALTH},
    ("orders", "GET", "/feedback"): PUBLIC,
    ("orders", "GET", "/orders"): MINE,
    ("orders", "POST", "/orders"): {**MINE_WRITE, "B": TRIED},
    ("orders", "GET", "/orders/<order_id>"): OWNED,
    ("orders", "GET", "/orders/<order_id>/photos/<photo_id>"): OWNED,
    **{
        ("orders", "POST", f"/orders/<order_id>/{action}"): OWNED_WRITE
        for action in (
            "cancel",
            "feedback",
            "inspection-photos-checked",
            "item-changes",
            "reception-report",
            "items/<item_id>/purchase-condition",
        )
    },
    **{
        ("orders", "POST", f"/orders/<order_id>/items/<item_id>/{action}"): STAFF_WRITE
        for action in (
            "arrival",
            "exchange",
            "exchange-answer",
            "inspection",
            "purchased",
            "seller-confirmation",
            "unavailable",
        )
    },
    ("orders", "GET", "/queues/<name>"): STAFF,
    ("orders", "GET", "/orders/owners"): STAFF,
    ("orders", "GET", "/orders/<order_id>/history"): STAFF,
    # Forgetting (issue 21): the gateway asks, as staff, what holds a customer back, and tells
    # messaging once the key is destroyed; it never passes these on from outside.
    ("orders", "GET", "/customers/<customer_id>/open-orders"): STAFF,
    ("billing", "GET", "/customers/<customer_id>/open-money"): STAFF,
    ("messaging", "POST", "/customers/<customer_id>/forgotten"): STAFF_WRITE,
    ("billing", "GET", "/calendar"): PUBLIC,
    ("billing", "GET", "/fees"): PUBLIC,
    ("billing", "GET", "/billings/<billing_id>"): OWNED,
    ("billing", "GET", "/orders/<order_id>/billings"): OWNED,
    ("billing", "GET", "/billings/<billing_id>/payment-page"): OWNED,
    ("billing", "POST", "/billings/<billing_id>/card-payments"): OWNED_WRITE,
    # The order id here is the shop order's, no PayPal order of the billing: 404 for all.
    ("billing", "POST", "/billings/<billing_id>/card-payments/<order_id>/capture"): {
        **OWNED_WRITE,
        "A": {404},
        "staff": {404},
    },
    ("billing", "POST", "/billings/<billing_id>/deposit-payments"): OWNED_WRITE,
    ("billing", "POST", "/billings/<billing_id>/payment-reports"): OWNED_WRITE,
    ("billing", "POST", "/billings/<billing_id>/payment-reports/<report_id>/withdrawal"): (
        OWNED_WRITE
    ),
    ("billing", "POST", "/billings/<billing_id>/payments"): STAFF_WRITE,
    ("billing", "POST", "/customers/<customer_id>/deposit/adjustments"): STAFF_WRITE,
    ("billing", "GET", "/deposit"): MINE,
    ("billing", "GET", "/queues/captures-in-review"): STAFF,
    ("billing", "GET", "/queues/payment-reports"): STAFF,
    ("billing", "GET", "/queues/unreported-transfers"): STAFF,
    ("billing", "GET", "/queues/unapplied-payments"): STAFF,
    ("billing", "POST", "/held-payments/<hold_id>/credits"): STAFF_WRITE,
    ("billing", "POST", "/webhooks/bank"): WEBHOOK,
    ("billing", "POST", "/webhooks/paypal"): {k: {401, 503} for k in WEBHOOK},
    ("messaging", "GET", "/attachments/<attachment_id>"): OWNED,
    ("messaging", "PUT", "/customers/<customer_id>/email"): STAFF_WRITE,
    # Only the gateway asks for e-mails about an account, with its own staff identity (R26).
    ("messaging", "POST", "/account-mails"): STAFF_WRITE,
    ("messaging", "GET", "/inquiries"): MINE,
    ("messaging", "POST", "/inquiries"): {"anon": {400}, "A": TRIED, "B": TRIED, "staff": TRIED},
    ("messaging", "POST", "/inquiries/<inquiry_id>/answers"): STAFF_WRITE,
    ("messaging", "GET", "/orders/<order_id>/conversation"): OWNED,
    ("messaging", "GET", "/orders/<order_id>/messages"): OWNED,
    ("messaging", "POST", "/orders/<order_id>/messages"): OWNED_WRITE,
    ("messaging", "POST", "/orders/<order_id>/messages/read"): OWNED_WRITE,
    ("messaging", "GET", "/queues/awaiting-reply"): STAFF,
    ("messaging", "GET", "/queues/requests"): STAFF,
    ("shipping", "GET", "/shipments/<order_id>"): OWNED,
    ("shipping", "GET", "/queues/<queue>"): STAFF,
    ("shipping", "GET", "/shipments/search"): STAFF,
    ("shipping", "POST", "/shipments/<order_id>/parcels"): STAFF_WRITE,
    ("shipping", "POST", "/shipments/<order_id>/method"): STAFF_WRITE,
    ("shipping", "POST", "/shipments/<order_id>/ship"): STAFF_WRITE,
    ("shipping", "GET", "/methods"): PUBLIC,
    ("shipping", "GET", "/methods/<method>/rates/<int:version>"): PUBLIC,
    ("shipping", "PUT", "/methods/<method>/rates"): STAFF_WRITE,
    ("shipping", "GET", "/estimate"): {k: {400} for k in PUBLIC},  # no parameters
    ("shipping", "POST", "/estimate"): {k: {400} for k in PUBLIC},
}


def route_map(system: System) -> set[tuple[str, str, str]]:
    """(service, method, rule) of every route the services' apps serve."""
    routes = set()
    for service in SERVICES:
        settings = Settings(
            service=service,
            postgres_url=system.infra.postgres_url,
            database=system.databases[service],
            amqp_url=system.infra.amqp_url,
            namespace=system.namespace,
        )
        context = bootstrap(definition(service), settings, pool_size=2)
        try:
            app = definition(service).create_app(context)
            for rule in app.url_map.iter_rules():
                if rule.endpoint == "static":
                    continue
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    routes.add((service, method, rule.rule))
        finally:
            context.close()
    return routes


@pytest.fixture(scope="module")
def owned(system: System) -> dict[str, str]:
    """Customer A's order (inspected, with photos), billing, message file and inquiry."""
    return owned_objects(system, "cus-matrix-a")


def test_every_route_has_an_expected_answer_for_every_caller(system: System) -> None:
    missing = sorted(route_map(system) - set(EXPECTED))
    assert missing == [], f"routes without an expected answer in the access matrix: {missing}"


def _url(system: System, service: str, rule: str, ids: dict[str, str]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: ids[m.group(1)], rule)
    return system.url(service, path)


@pytest.mark.rule("R26")
def test_R26_each_caller_gets_exactly_the_expected_answer_on_every_route(
    system: System, owned: dict[str, str]
) -> None:
    callers: dict[str, dict[str, str]] = {
        "anon": {},
        "A": system.token(owned["customer_id"]),
        "B": system.token("cus-matrix-b"),
        "staff": system.token("staff-matrix", "staff"),
    }
    wrong: list[str] = []
    # Reads first, then writes (a write may change what a later one finds).
    for (service, method, rule), expected in sorted(
        EXPECTED.items(), key=lambda item: item[0][1] != "GET"
    ):
        for caller, headers in callers.items():
            answer = requests.request(
                method, _url(system, service, rule, owned), json={}, headers=headers, timeout=30
            )
            if answer.status_code not in expected[caller]:
                wrong.append(
                    f"{caller} {method} {service}{rule} -> {answer.status_code} "
                    f"(expected {sorted(expected[caller])}): {answer.text[:120]}"
                )
    assert wrong == [], "\n".join(wrong)
