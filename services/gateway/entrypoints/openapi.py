"""The gateway's OpenAPI document: its own JSON routes (accounts, webhooks, health). The
services' APIs it forwards under `/api/<service>/` are described by each service's document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from services.gateway.entrypoints.api import CredentialsRequest, SigninRequest
from services.gateway.entrypoints.sessions import COOKIE, CSRF_HEADER
from shared.web.openapi import document, operation

openapi_doc = Blueprint("gateway_openapi", __name__)

_SESSION = {
    "name": COOKIE,
    "in": "cookie",
    "required": False,
    "schema": {"type": "string"},
    "description": "The session cookie sign-up and sign-in set (HttpOnly; in production "
    "`__Host-cnnect_session`, Secure).",
}
_CSRF = {
    "name": CSRF_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "The session's CSRF token (from /auth/me): every change made with the "
    "session cookie carries it.",
}


def _with(operation: dict[str, Any], *parameters: dict[str, Any]) -> dict[str, Any]:
    return {**operation, "parameters": [*operation.get("parameters", []), *parameters]}


OPENAPI: dict[str, Any] = document(
    "CNNECT gateway",
    {
        "/auth/signup": {
            "post": operation(
                "Free registration (R26), signed in at once; a link confirming the address is "
                "mailed (`verification_mail` says whether it could be sent now)",
                "anyone",
                body=CredentialsRequest,
            )
        },
        "/auth/signin": {
            "post": operation(
                "Sign in; attempts are limited per e-mail and per client address. Staff and "
                "admin accounts also send `code`, their authenticator's current code or a "
                "recovery code (R26): without it, 401 second_factor_required",
                "anyone",
                body=SigninRequest,
            )
        },
        "/auth/signout": {
            "post": _with(
                operation("Sign out: the session is revoked", "signed in"), _SESSION, _CSRF
            )
        },
        "/auth/me": {
            "get": _with(operation("Who is signed in, and the CSRF token", "signed in"), _SESSION)
        },
        "/webhooks/{provider}": {
            "post": _with(
                operation(
                    "A bank or PayPal notice, passed to billing untouched (it checks the "
                    "signature before anything is stored, R11)",
                    "the bank or PayPal",
                    body={"type": "object"},
                ),
                {
                    "name": "provider",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "enum": ["bank", "paypal"]},
                },
            )
        },
        "/healthz": {"get": operation("The gateway is alive", "anyone")},
        "/readyz": {
            "get": operation(
                "The gateway can serve: its database answers, every service has a URL (503 "
                "with the failing checks otherwise)",
                "anyone",
            )
        },
        "/metrics": {
            "get": _with(operation("The gateway's Prometheus metrics", "staff"), _SESSION)
        },
        "/openapi.json": {"get": operation("This document", "anyone")},
    },
)


@openapi_doc.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The gateway's OpenAPI document."""
    return jsonify(OPENAPI)
