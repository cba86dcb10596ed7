"""Every answer of the gateway carries the browser protections (the Content-Security-Policy,
no framing, no sniffing, the referrer policy...): every GET route of its route map, so a new
page is covered the day it is added, as a visitor and as staff, whatever the status (the
services are away here: their sections say so), and the error answers too."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.gateway.bootstrap import Gateway
from services.gateway.entrypoints.app import create_app
from services.gateway.entrypoints.security_headers import HSTS, security_headers

_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# A page holding a token in its address keeps even its origin to itself.
STRICTER = {"Referrer-Policy": {"no-referrer", "same-origin"}}


def _staff_client(app: Flask, gateway: Gateway) -> FlaskClient:
    account = gateway.accounts.create("walker@cnnect.example", "walking the routes 1", "staff")
    token, _ = gateway.accounts.open_session(account, datetime.now(UTC))
    client = app.test_client()
    client.set_cookie("cnnect_session", token)
    return client


def get_paths(app: Flask) -> list[str]:
    """A path for every GET route, its parameters filled with made-up values."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or set()):
            value = "cnnect.css" if "path:" in rule.rule else "x-1"
            paths.append(_PARAMETER.sub(value, rule.rule))
    return sorted(paths)


def _missing(client: FlaskClient, method: str, path: str) -> list[str]:
    expected = security_headers(False)
    response = client.open(path, method=method)
    try:
        return [
            f"{method} {path} ({response.status_code}): {name}"
            for name, value in expected.items()
            if response.headers.get(name) not in {value, *STRICTER.get(name, ())}
        ]
    finally:
        response.close()  # an event stream is never read to its end


def test_every_page_and_route_carries_the_browser_protections(app: Flask, gateway: Gateway) -> None:
    paths = get_paths(app)
    assert {"/", "/signin", "/staff", "/billings/x-1/pay"} <= set(paths)
    visitor, staff = app.test_client(), _staff_client(app, gateway)
    missing = [line for c in (visitor, staff) for p in paths for line in _missing(c, "GET", p)]
    assert missing == []


def test_error_answers_carry_them_too(app: Flask) -> None:
    client = app.test_client()
    refused = [
        ("GET", "/no-such-page"),  # 404 page
        ("GET", "/api/orders/../../etc"),  # 404 JSON
        ("POST", "/signin"),  # 403: no form token
        ("POST", "/auth/signin"),  # 400 JSON
        ("DELETE", "/signin"),  # 405
    ]
    assert [line for method, path in refused for line in _missing(client, method, path)] == []


def _cookie(answer: TestResponse, name: str) -> str:
    found = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert len(found) == 1, answer.headers.getlist("Set-Cookie")
    return found[0]


def test_in_production_https_is_pinned_and_every_cookie_is_a_host_cookie(
    gateway: Gateway,
) -> None:
    production = replace(gateway, settings=replace(gateway.settings, production=True))
    client = create_app(production).test_client()
    form = client.get("/signin")
    assert form.headers["Strict-Transport-Security"] == HSTS
    gateway.accounts.create("prod@example.com", "a long enough password 1", "customer")
    signed = client.post(
        "/auth/signin", json={"email": "prod@example.com", "password": "a long enough password 1"}
    )
    for answer, name in ((form, "__Host-cnnect_form"), (signed, "__Host-cnnect_session")):
        attributes = [part.strip().lower() for part in _cookie(answer, name).split(";")]
        assert {"secure", "httponly", "path=/"} <= set(attributes)
        assert not any(part.startswith("domain=") for part in attributes)
    assert client.get("/orders").status_code == 200  # the browser's __Host- cookie is read
