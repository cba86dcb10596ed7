"""The headers every gateway answer carries, in production and in development: HTTPS only in
production, the `__Host-` cookie names there, and a form-action that lets the card form reach
PayPal (the stand-in in development) and nowhere else."""

from __future__ import annotations

from services.gateway.entrypoints.security_headers import (
    PAYPAL_CHECKOUT_ORIGINS,
    paypal_checkout_origins,
    security_headers,
)
from services.gateway.entrypoints.sessions import COOKIE, cookie_name

STANDIN = {"CNNECT_BILLING_PAYPAL_BASE_URL": "http://127.0.0.1:8199"}


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_production_answers_ask_for_https_for_two_years() -> None:
    assert security_headers(True, {})["Strict-Transport-Security"] == (
        "max-age=63072000; includeSubDomains"
    )


def test_development_answers_never_pin_https_on_an_http_host() -> None:
    assert "Strict-Transport-Security" not in security_headers(False, {})


def test_the_session_cookie_is_a_host_cookie_in_production_only() -> None:
    assert cookie_name(COOKIE, production=True) == "__Host-cnnect_session"
    assert cookie_name(COOKIE, production=False) == "cnnect_session"


def test_scripts_run_only_from_our_own_files_and_no_site_may_frame_a_page() -> None:
    headers = security_headers(False, {})
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert policy["frame-ancestors"] == "'none'" and headers["X-Frame-Options"] == "DENY"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_forms_post_here_or_to_paypal_and_in_development_to_the_stand_in() -> None:
    production = _directives(security_headers(True, STANDIN)["Content-Security-Policy"])
    assert production["form-action"] == " ".join(("'self'", *PAYPAL_CHECKOUT_ORIGINS))
    development = _directives(security_headers(False, STANDIN)["Content-Security-Policy"])
    assert development["form-action"].split() == [
        "'self'",
        *PAYPAL_CHECKOUT_ORIGINS,
        STANDIN["CNNECT_BILLING_PAYPAL_BASE_URL"],
    ]


def test_without_a_paypal_url_in_sight_forms_reach_only_paypal_itself() -> None:
    assert paypal_checkout_origins(False, {}) == PAYPAL_CHECKOUT_ORIGINS
    unset = {"CNNECT_BILLING_PAYPAL_BASE_URL": ""}
    assert paypal_checkout_origins(False, unset) == PAYPAL_CHECKOUT_ORIGINS
