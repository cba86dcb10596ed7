"""Forwarding requests to the services: the caller's identity as a short-lived signed token,
and nothing of the client's own identity headers."""

from __future__ import annotations

from collections.abc import Mapping

import requests
from flask import Response

from shared.web.identity import Identity, issue_token

# What a client may pass on; everything else (Authorization, X-Cnnect-*, cookies, Host) is
# dropped, so no header a client sends can claim an identity at a service.
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Idempotency-Key")
FORWARDED_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Cache-Control",
    "Idempotent-Replayed",
)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "proxy-authorization",
    "proxy-authenticate",
}


class ServiceUnavailableError(Exception):
    """A service did not answer."""


def forward(
    base_url: str,
    method: str,
    path: str,
    query: bytes,
    body: bytes,
    headers: Mapping[str, str],
    identity: Identity | None,
    secret: str,
) -> Response:
    """Send the request to a service as `identity` and relay its answer."""
    outgoing = {k: v for k, v in headers.items() if k in FORWARDED_REQUEST_HEADERS}
    if identity is not None:
        outgoing["Authorization"] = f"Bearer {issue_token(secret, identity)}"
    url = f"{base_url}{path}" + (f"?{query.decode()}" if query else "")
    try:
        answer = requests.request(method, url, data=body, headers=outgoing, timeout=30)
    except requests.RequestException as exc:
        raise ServiceUnavailableError(str(exc)) from exc
    relayed = Response(answer.content, status=answer.status_code)
    for name in FORWARDED_RESPONSE_HEADERS:
        if name in answer.headers:
            relayed.headers[name] = answer.headers[name]
    return relayed


def forward_raw(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    """Pass a webhook on untouched: the raw body and the sender's headers (its signature)."""
    outgoing = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    try:
        answer = requests.post(url, data=body, headers=outgoing, timeout=30)
    except requests.RequestException as exc:
        raise ServiceUnavailableError(str(exc)) from exc
    relayed = Response(answer.content, status=answer.status_code)
    relayed.headers["Content-Type"] = answer.headers.get("Content-Type", "application/json")
    return relayed
