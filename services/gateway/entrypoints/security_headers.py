"""The browser protections on every gateway answer (pages, JSON, static files, errors): a
Content-Security-Policy with no inline script, no framing by another site, no content-type
guessing, a referrer kept to our origin, HTTPS only in production. docs/design.md, "Browser
protections", says why each is there."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.wrappers import Response

# Where PayPal sends the customer to approve a card payment (the order's "approve" or
# "payer-action" link, live and sandbox): the card form's 303 goes there, and Chromium checks
# a form post's redirect against form-action too.
PAYPAL_CHECKOUT_ORIGINS = ("https://www.paypal.com", "https://www.sandbox.paypal.com")
HSTS = "max-age=63072000; includeSubDomains"  # two years, as browsers' preload lists ask
# Features no page of ours uses: a script injected anyway cannot ask for them.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def paypal_checkout_origins(
    production: bool, environ: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The origins the card form may lead to: PayPal's, and outside production the PayPal
    billing is pointed at (`CNNECT_BILLING_PAYPAL_BASE_URL`, the development stand-in, which
    serves its approval page on the origin of its API) when this process can see it."""
    if production:
        return PAYPAL_CHECKOUT_ORIGINS
    env = os.environ if environ is None else environ
    parts = urlsplit(env.get("CNNECT_BILLING_PAYPAL_BASE_URL", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return PAYPAL_CHECKOUT_ORIGINS
    local = f"{parts.scheme}://{parts.netloc}"
    return tuple(dict.fromkeys((*PAYPAL_CHECKOUT_ORIGINS, local)))  # once each, in order


def content_security_policy(form_targets: tuple[str, ...]) -> str:
    """Our own scripts, styles, images and connections only; no plugin, no <base>, no
    framing; forms post here or to PayPal's approval page (`form_targets`)."""
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",  # no 'unsafe-inline': an injected <script> does not run
        "style-src": "'self'",
        "img-src": "'self' data: blob:",  # data: the staff's QR code; blob: photo previews
        "connect-src": "'self'",
        "font-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
        "form-action": " ".join(("'self'", *form_targets)),
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(production: bool, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers every answer carries (HSTS only in production, served over HTTPS)."""
    headers = {
        "Content-Security-Policy": content_security_policy(
            paypal_checkout_origins(production, environ)
        ),
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def install_security_headers(app: Flask, production: bool) -> None:
    """Add the headers to every answer of `app`, errors included (a route may set its own
    value of one, which is kept)."""
    # Each name's lower case, once: the headers an answer already has are read in one pass
    # rather than looked up (case-insensitively, along the whole list) once per name.
    headers = [(name.lower(), name, value) for name, value in security_headers(production).items()]

    @app.after_request
    def protect(response: Response) -> Response:
        present = {name.lower() for name, _ in response.headers}
        for lower, name, value in headers:
            if lower not in present:
                response.headers.add(name, value)
        return response
