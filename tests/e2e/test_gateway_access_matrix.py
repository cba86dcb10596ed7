"""Who may call what through the gateway: every route of the gateway's own route map (pages,
forms, JSON routes, webhooks, the live feed) and every service route reached through
`/api/<service>/...`, called with a real session as a visitor, customer A (who owns the data),
customer B and staff. A route without an expected answer here fails the test (R26)."""

from __future__ import annotations

import re

import pytest
import requests

from services.gateway.bootstrap import bootstrap
from services.gateway.entrypoints.app import create_app
from shared.config import Settings
from tests.e2e.test_access_matrix import EXPECTED as SERVICE_EXPECTED
from tests.support.owned import owned_objects
from tests.support.second_factor import with_code
from tests.support.system import SECRET, System, create_staff, sign_up

Expected = dict[str, set[int]]
PUBLIC: Expected = {"anon": {200}, "A": {200}, "B": {200}, "staff": {200}}
SIGNED: Expected = {"anon": {302}, "A": {200}, "B": {200}, "staff": {200}}  # 302: to sign-in
OWNED: Expected = {"anon": {302}, "A": {200}, "B": {404}, "staff": {200}}
# 303: back to the page with the news. B's empty form may be refused as malformed (303, with
# the reason) before the service looks the order up (404); either way nothing is stored, as
# the services' own matrix proves route by route.
FORM: Expected = {"anon": {401}, "A": {303}, "B": {303, 404}, "staff": {303}}
# A form that is refused comes back as itself (400), saying why beside each field and keeping
# what was typed; another customer's still gets no page of the order.
REFUSED_FORM: Expected = {**FORM, "A": {400}, "staff": {400}}
STAFF_PAGE: Expected = {"anon": {302}, "A": {403}, "B": {403}, "staff": {200}}
STAFF_FORM: Expected = {"anon": {401}, "A": {403}, "B": {403}, "staff": {303}}
ALL = ("anon", "A", "B", "staff")
SIGN_OUTS = {
    ("POST", "/signout"),
    ("POST", "/auth/signout"),
    ("POST", "/account/signout-everywhere"),
}
# The account page's forms sent empty: refused as themselves (400), whoever sends them.
EMPTY_ACCOUNT_FORM: Expected = {"anon": {401}, "A": {400}, "B": {400}, "staff": {400}}
OWN_ACCOUNT_FORM: Expected = {"anon": {401}, "A": {303}, "B": {404}, "staff": {404}}
# Delivery addresses are the customers' (staff place no orders): 403 for staff.
OWN_ADDRESS_FORM: Expected = {**OWN_ACCOUNT_FORM, "staff": {403}}

GATEWAY_EXPECTED: dict[tuple[str, str], Expected] = {
    ("GET", "/"): {"anon": {200}, "A": {302}, "B": {302}, "staff": {302}},
    **{
        ("GET", path): PUBLIC
        for path in ("/estimate", "/calendar", "/feedback", "/healthz", "/readyz")
    },
    ("GET", "/favicon.ico"): {"anon": {301}, "A": {301}, "B": {301}, "staff": {301}},
    # Scrapers read the internal metrics port; the public one shows metrics to staff only.
    ("GET", "/metrics"): {"anon": {401}, "A": {403}, "B": {403}, "staff": {200}},
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    **{("GET", path): PUBLIC for path in ("/signup", "/signin")},
    # Without the form's double-submit token, sign-up and sign-in forms are refused.
    **{("POST", path): {k: {403} for k in ALL} for path in ("/signup", "/signin")},
    ("POST", "/signout"): {"anon": {401}, "A": {303}, "B": {303}, "staff": {303}},
    ("POST", "/auth/signup"): {k: {400} for k in ALL},
    # Account e-mails (R26): a link's page is anyone's (the token is the key), and posting it
    # without a token is refused; the forms without a session need their double-submit token.
    **{
        ("GET", path): PUBLIC
        for path in (
            "/account/verify",
            "/account/email/confirm",
            "/account/forgot-password",
            "/account/reset-password",
        )
    },
    **{
        ("POST", path): {k: {400} for k in ALL}
        for path in ("/account/verify", "/account/email/confirm")
    },
    **{
        ("POST", path): {k: {403} for k in ALL}
        for path in ("/account/forgot-password", "/account/reset-password")
    },
    ("POST", "/account/verify/resend"): {"anon": {401}, "A": {303}, "B": {303}, "staff": {303}},
    ("GET", "/account/email"): SIGNED,
    ("POST", "/account/email"): {"anon": {401}, "A": {400}, "B": {400}, "staff": {400}},
    # The account page (R26): the caller's own password, addresses and sessions; another
    # customer's address or session is not found (404), and staff reach only their own too.
    ("GET", "/account"): SIGNED,
    ("POST", "/account/password"): EMPTY_ACCOUNT_FORM,
    ("POST", "/account/addresses"): {**EMPTY_ACCOUNT_FORM, "staff": {403}},
    ("GET", "/account/addresses/<address_id>"): {**OWNED, "staff": {403}},
    ("POST", "/account/addresses/<address_id>"): {**OWN_ADDRESS_FORM, "A": {400}},
    # Delete after the others: A's address is gone afterwards.
    **{
        ("POST", f"/account/addresses/<address_id>/{action}"): OWN_ADDRESS_FORM
        for action in ("default", "delete")
    },
    ("POST", "/account/sessions/<session_id>/signout"): OWN_ACCOUNT_FORM,  # A's spare session
    ("POST", "/account/signout-everywhere"): {**FORM, "B": {303}},
    ("POST", "/auth/signin"): {k: {400} for k in ALL},
    ("POST", "/auth/signout"): {"anon": {401}, "A": {200}, "B": {200}, "staff": {200}},
    ("GET", "/auth/me"): {"anon": {401}, "A": {200}, "B": {200}, "staff": {200}},
    **{("GET", path): SIGNED for path in ("/orders", "/orders/new", "/deposit")},
    ("POST", "/orders/new"): {"anon": {401}, "A": {400}, "B": {400}, "staff": {400}},
    ("GET", "/orders/<order_id>"): OWNED,
    ("GET", "/billings/<billing_id>/pay"): OWNED,
    ("GET", "/billings/<billing_id>/card-returned"): {**OWNED, "A": {303}, "staff": {303}},
    ("GET", "/billings/<billing_id>/card-cancelled"): {**OWNED, "A": {303}, "staff": {303}},
    # A's billing is paid: the confirmation page goes on to the order page.
    ("GET", "/billings/<billing_id>/card-confirmation"): {**OWNED, "A": {303}, "staff": {303}},
    **{
        ("POST", f"/orders/<order_id>/{action}"): FORM
        for action in (
            "cancel",
            "items",
            "messages/read",
        )
    },
    **{
        ("POST", f"/orders/<order_id>/{action}"): REFUSED_FORM
        for action in ("feedback", "messages", "items/<item_id>/condition")
    },
    ("POST", "/orders/<order_id>/reception"): {**FORM, "staff": {404}},  # the customer's alone
    # The inspection photos of an item, large, and a question about it (R18).
    **{
        ("GET", f"/orders/<order_id>/items/<item_id>/{path}"): OWNED
        for path in ("photos", "photos/<int:number>", "question")
    },
    ("POST", "/orders/<order_id>/photos-checked"): FORM,
    # An empty question comes back as its form, saying why, with nothing sent (400).
    ("POST", "/orders/<order_id>/items/<item_id>/question"): {
        "anon": {401},
        "A": {400},
        "B": {404},
        "staff": {400},
    },
    **{
        ("POST", f"/billings/<billing_id>/{a}"): FORM
        for a in ("deposit", "payment-reports/<report_id>/withdrawal")
    },
    ("POST", "/billings/<billing_id>/bank-report"): REFUSED_FORM,
    # PayPal is not configured in this system: the card step says so (503) to its owner.
    ("POST", "/billings/<billing_id>/card"): {**FORM, "A": {303, 503}, "staff": {303, 503}},
    ("POST", "/webhooks/<provider>"): {k: {401} for k in ALL},  # no bank signature
    ("GET", "/staff/events"): {"anon": {401}, "A": {403}, "B": {403}, "staff": {200}},
    **{("GET", path): STAFF_PAGE for path in ("/staff", "/staff/live", "/staff/orders/<order_id>")},
    ("POST", "/staff/inquiries/<inquiry_id>/answers"): STAFF_FORM,
    # The second factor's pages (R26): without a pending sign-in (a right staff or admin
    # password less than five minutes ago) they send back to the sign-in page, never a session.
    **{
        (method, path): {k: {303} for k in ALL}
        for method, path in (
            ("GET", "/signin/second-factor"),
            ("POST", "/signin/second-factor"),
        )
    },
    # Staff accounts and resetting their second factor: admins only, staff get 403 too
    # (test_staff_second_factor.py proves what an admin gets).
    ("GET", "/staff/accounts"): {**STAFF_PAGE, "staff": {403}},
    ("POST", "/staff/accounts/<account_id>/second-factor/reset"): {**STAFF_FORM, "staff": {403}},
    # Forgetting (issue 21): a customer's own export; the staff customer page; forgetting by
    # an admin only (staff 403), or by the customer themselves (an empty form: 400, their
    # password missing; staff accounts are not forgotten there).
    ("GET", "/account/export"): {**SIGNED, "staff": {404}},
    ("POST", "/account/forget"): {**EMPTY_ACCOUNT_FORM, "staff": {404}},
    ("GET", "/staff/customers/<customer_id>"): STAFF_PAGE,
    ("POST", "/staff/customers/<customer_id>/forget"): {**STAFF_FORM, "staff": {403}},
    **{
        ("POST", f"/staff/orders/<order_id>/{action}"): STAFF_FORM
        for action in (
            "billings/<billing_id>/payments",
            "cancel",
            "deposit-adjustments",
            "items",
            "items/<item_id>/<action>",
            "items/<item_id>/inspection",
            "messages",
            "messages/read",
            "method",
            "parcels",
            "ship",
        )
    },
}
FORWARDED = "/api/<service>/<path:rest>"  # expanded to every service route below
# Service routes the gateway does not pass on: for the internal network only, or for the
# gateway's own calls (where a customer's e-mails go is the accounts' word alone).
NOT_FORWARDED: dict[tuple[str, str], Expected] = {
    ("GET", "/metrics"): {k: {404} for k in ALL},
    ("PUT", "/customers/<customer_id>/email"): {k: {404} for k in ALL},
    ("POST", "/customers/<customer_id>/forgotten"): {k: {404} for k in ALL},
    ("POST", "/account-mails"): {k: {404} for k in ALL},
}


def gateway_routes(system: System) -> set[tuple[str, str]]:
    """(method, rule) of every route the gateway app serves."""
    settings = Settings(
        service="gateway",
        postgres_url=system.infra.postgres_url,
        database=system.databases["gateway"],
        amqp_url=system.infra.amqp_url,
        namespace=system.namespace,
        identity_secret=SECRET,
    )
    gateway = bootstrap(settings)
    try:
        app = create_app(gateway)
        return {
            (method, rule.rule)
            for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        }
    finally:
        gateway.close()


def _session(system: System, email: str) -> requests.Session:
    """A browser-like session, signed in, sending its CSRF token with every change."""
    session = requests.Session()
    answer = session.post(
        system.url("gateway", "/auth/signin"),
        json=with_code(email, {"email": email, "password": "matrix password 1"}),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    session.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return session


@pytest.fixture(scope="module")
def callers(system: System) -> dict[str, str]:
    """The e-mails of A, B and staff (anon has none); A's and B's accounts are signed up."""
    emails = {"A": "a@matrix.example", "B": "b@matrix.example", "staff": "s@matrix.example"}
    for who in ("A", "B"):
        sign_up(system, emails[who], "matrix password 1")
    create_staff(system, emails["staff"], "matrix password 1")
    return emails


def _account_objects(system: System, email: str) -> dict[str, str]:
    """A's saved address and a spare session of A's (the one the matrix signs out by id)."""
    spare = _session(system, email)
    added = spare.post(
        system.url("gateway", "/account/addresses"),
        data={
            "address-name": "A",
            "address-line1": "1 rue Neuve",
            "address-city": "Lyon",
            "address-postal_code": "69003",
            "address-country": "FR",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert added.status_code == 303, added.text
    page = spare.get(system.url("gateway", "/account"), timeout=10).text
    address = re.search(r'id="address-(adr-[0-9a-f]+)"', page)
    own = re.search(r'this-device">.*?/account/sessions/([0-9a-f-]+)/signout', page, re.DOTALL)
    assert address is not None and own is not None
    return {"address_id": address.group(1), "session_id": own.group(1)}


@pytest.fixture(scope="module")
def owned(system: System, callers: dict[str, str]) -> dict[str, str]:
    """Customer A's order (paid, inspected, with photos), billing, message file and inquiry."""
    me = _session(system, callers["A"]).get(system.url("gateway", "/auth/me"), timeout=10)
    ids = owned_objects(system, me.json()["account_id"])
    return {
        **ids,
        "action": "purchased",
        "provider": "bank",
        "filename": "cnnect.css",
        "number": "1",  # the first inspection photo of the item (R18)
        **_account_objects(system, callers["A"]),
        "account_id": me.json()["account_id"],  # whose second factor staff may not reset
    }


def test_every_gateway_route_has_an_expected_answer_for_every_caller(system: System) -> None:
    routes = {route for route in gateway_routes(system) if route[1] != FORWARDED}
    missing = sorted(routes - set(GATEWAY_EXPECTED))
    assert missing == [], f"gateway routes without an expected answer: {missing}"
    stale = sorted(set(GATEWAY_EXPECTED) - routes)
    assert stale == [], f"expected answers for routes that do not exist: {stale}"


def _path(rule: str, ids: dict[str, str]) -> str:
    return re.sub(r"<(?:[\w]+:)?(\w+)>", lambda m: ids[m.group(1)], rule)


def _calls(ids: dict[str, str]) -> list[tuple[str, str, Expected]]:
    """(method, path, expected) of every call: the gateway's routes, then each service's
    routes through /api; reads before writes, sign-outs last (they end the session)."""
    calls = [(method, _path(rule, ids), exp) for (method, rule), exp in GATEWAY_EXPECTED.items()]
    calls += [
        (method, f"/api/{service}{_path(rule, ids)}", NOT_FORWARDED.get((method, rule), exp))
        for (service, method, rule), exp in SERVICE_EXPECTED.items()
    ]
    return sorted(calls, key=lambda c: ((c[0], c[1]) in SIGN_OUTS, c[0] != "GET"))


@pytest.mark.rule("R26")
def test_R26_each_caller_gets_exactly_the_expected_answer_on_every_gateway_route(
    system: System, callers: dict[str, str], owned: dict[str, str]
) -> None:
    sessions = {"anon": requests.Session()}
    sessions.update({who: _session(system, email) for who, email in callers.items()})
    wrong: list[str] = []
    for method, path, expected in _calls(owned):
        for caller in ALL:
            if (method, path) in SIGN_OUTS and caller != "anon":
                sessions[caller] = _session(system, callers[caller])  # a session to end
            answer = sessions[caller].request(
                method,
                system.url("gateway", path),
                json={} if path.startswith(("/auth", "/api")) else None,
                allow_redirects=False,
                stream=path == "/staff/events",
                timeout=30,
            )
            answer.close()
            if answer.status_code not in expected[caller]:
                wrong.append(
                    f"{caller} {method} {path} -> {answer.status_code} "
                    f"(expected {sorted(expected[caller])})"
                )
    assert wrong == [], "\n".join(wrong)
