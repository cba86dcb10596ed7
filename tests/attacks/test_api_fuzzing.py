"""Every API fuzzed from its own OpenAPI document (schemathesis), against the real processes:
each service's and the gateway's operations get generated requests, valid and invalid, as a
visitor, as a customer who owns nothing and as staff. No answer may be a 5xx, every refusal
must be our error body, and a refused request must store nothing.

Why "stores nothing" can be checked exactly: the objects that exist (other attack tests') all
have random ids, and the generator can only make ids up, so it reaches none of them.
- The refusal campaign sends every operation except the few in CREATES. Each request must be
  refused or be a read: a visitor gets 401 everywhere but the public reads, the public estimate
  (a computation) and the webhooks, whose HMAC or RSA signature no generator can produce; the
  customer (who owns nothing) and staff name objects by made-up ids, which exist nowhere, so
  every write is refused (400 before looking, 403, or 404). Nothing is accepted, so nothing is
  in flight between the services afterwards either: once what earlier tests started has
  settled, every service's event count must be exactly what it was.
- The creation campaign sends CREATES: an order or an inquiry of the caller's own, and staff's
  rate tables, deposit adjustments, notification addresses, account e-mails and the
  announcement that a customer was forgotten. These may be
  accepted. Every event stored meanwhile, in any service, must belong to an object an accepted
  answer named (an order and its billing, conversation and shipment, an inquiry, a deposit, a
  method); a refused request names nothing, so anything it stored would show up outside them.
The access matrix (tests/e2e/test_access_matrix.py, test_gateway_access_matrix.py) proves
route by route who may call what; this adds what generated input does to the same routes."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.support.fuzzing import Caller, Campaign, fuzz, fuzz_json_parser
from tests.support.stored import (
    last_positions,
    nothing_stored,
    scalar,
    settled_counts,
    streams_since,
)
from tests.support.system import SERVICES, System, sign_up

CREATES = {
    "POST /orders": "order_id",
    "POST /inquiries": "inquiry_id",
    "PUT /methods/{method}/rates": "method",
    "POST /customers/{customer_id}/deposit/adjustments": "customer_id",
    "PUT /customers/{customer_id}/email": "customer_id",  # an address row, no event
    "POST /account-mails": "notification_id",  # an outbox row, no event
    # Staff's announcement that a customer was forgotten (messaging's `customer-<id>` stream):
    # the gateway sends it after destroying the key, and never passes it on from outside.
    "POST /customers/{customer_id}/forgotten": "customer_id",
}
GATEWAY_CREATES = {"POST /auth/signup"}  # an account (gateway database, no event)
SIGN_OUT = "POST /auth/signout"


def service_callers(system: System) -> list[Caller]:
    return [
        Caller("visitor"),
        Caller("customer", lambda: system.token("cus-fuzz-nobody")),
        Caller("staff", lambda: system.token("staff-fuzz", "staff")),
    ]


def gateway_customer(system: System) -> Caller:
    """A signed-up customer of the gateway: the session cookie and its CSRF token."""
    session, account = sign_up(system, "fuzz@cnnect.example", "fuzzing password 1")
    csrf = account["csrf_token"]
    return Caller(
        "gateway customer",
        lambda: {"X-CSRF-Token": csrf},
        dict(session.cookies.items()),
    )


def _fuzz_services(system: System, chosen: Callable[[str], bool], campaign: Campaign) -> None:
    """Fuzz the `chosen` operations of every service, as each of its callers."""
    for service in SERVICES:
        fuzz(
            system.url(service, "/openapi.json"),
            service_callers(system),
            lambda caller, operation: chosen(operation),
            campaign,
        )


def _accounts(system: System) -> int:
    return scalar(system.database_url("gateway"), "SELECT count(*) FROM accounts")


def test_refused_requests_store_nothing_and_every_refusal_is_an_error_body(
    system: System,
) -> None:
    before = settled_counts(system)
    accounts = _accounts(system)
    started = time.monotonic()
    campaign = Campaign()
    _fuzz_services(system, lambda operation: operation not in CREATES, campaign)
    customer = gateway_customer(system)
    accounts += 1
    gateway = system.url("gateway", "/openapi.json")
    fuzz(gateway, [Caller("visitor"), customer], lambda c, op: op not in GATEWAY_CREATES, campaign)
    print(f"\nrefusal campaign: {campaign.requests} requests in {time.monotonic() - started:.0f} s")
    assert campaign.failures == [], campaign.report()
    assert campaign.requests > 0
    writes = [a for a in campaign.answers if not a.operation.startswith("GET") and a.status < 300]
    assert [a for a in writes if a.operation != SIGN_OUT and "/estimate" not in a.operation] == []
    assert settled_counts(system) == before
    assert _accounts(system) == accounts


def test_creating_requests_store_only_the_objects_their_accepted_answers_name(
    system: System,
) -> None:
    settled_counts(system)
    positions = last_positions(system)
    accounts = _accounts(system)
    started = time.monotonic()
    campaign = Campaign()
    _fuzz_services(system, lambda operation: operation in CREATES, campaign)
    fuzz(
        system.url("gateway", "/openapi.json"),
        [Caller("visitor")],
        lambda caller, operation: operation in GATEWAY_CREATES,
        campaign,
    )
    print(
        f"\ncreation campaign: {campaign.requests} requests in {time.monotonic() - started:.0f} s"
    )
    assert campaign.failures == [], campaign.report()
    named = {
        str(answer.body[key])
        for operation, key in CREATES.items()
        for answer in campaign.accepted(operation)
    }
    strays = {
        service: sorted(s for s in streams if not _belongs(s, named))
        for service, streams in streams_since(system, positions).items()
    }
    assert strays == {s: [] for s in SERVICES}, f"stored for no accepted request: {strays}"
    assert _accounts(system) == accounts + len(campaign.accepted("POST /auth/signup"))


def _belongs(stream_id: str, named: set[str]) -> bool:
    """True when the stream is one of a named object's (`billing-<order>-1` is the order's)."""
    aggregate = stream_id.partition("-")[2]
    return any(aggregate == name or aggregate.startswith(f"{name}-") for name in named)


def test_every_json_operation_refuses_bodies_a_json_parser_reads_badly(system: System) -> None:
    """Nesting 1000 levels deep (which answered 500), NaN, huge numbers, a key twice, bytes
    not UTF-8, another charset: in place of the body of every operation taking JSON, in every
    document, as every caller. Each is a 4xx error body and stores nothing."""
    session, account = sign_up(system, "fuzz-parser@cnnect.example", "fuzzing password 1")
    csrf = account["csrf_token"]
    customer = Caller("gateway customer", lambda: {"X-CSRF-Token": csrf}, dict(session.cookies))
    accounts = _accounts(system)
    campaign = Campaign()
    with nothing_stored(system):
        for service in SERVICES:
            url = system.url(service, "/openapi.json")
            fuzz_json_parser(url, service_callers(system), lambda c, op: True, campaign)
        url = system.url("gateway", "/openapi.json")
        fuzz_json_parser(url, [Caller("visitor"), customer], lambda c, op: True, campaign)
    assert campaign.failures == [], campaign.report()
    assert campaign.requests > 0 and _accounts(system) == accounts
