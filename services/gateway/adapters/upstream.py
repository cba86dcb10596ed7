"""Forwarding requests to the services: the caller's identity as a short-lived signed token,
and nothing of the client's own identity headers."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from http.cookiejar import DefaultCookiePolicy
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from flask import Response
from urllib3 import encode_multipart_formdata
from urllib3.fields import RequestField
from werkzeug.datastructures import Headers

from services.gateway.adapters.connections import REUSE_IDLE_S, UpstreamError, exchange
from services.gateway.adapters.http_wire import Answer
from shared.events.consistency import HEADER as POSITION_HEADER
from shared.observability.context import HEADER as CORRELATION_HEADER
from shared.observability.context import current_correlation_id
from shared.web.identity import Identity, issue_token

Client = TypeVar("Client")
Upload = tuple[str, tuple[str, bytes, str]]  # (field, (file name, content, content type))

# What a client may pass on; everything else (Authorization, X-Cnnect-*, cookies, Host) is
# dropped, so no header a client sends can claim an identity at a service.
# The position header is read-your-writes: a write answers with it, a read handed it waits.
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "Idempotency-Key", POSITION_HEADER)
FORWARDED_RESPONSE_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "X-Content-Type-Options",
    "Cache-Control",
    "Idempotent-Replayed",
    # A service's 303 to a file another service keeps (messaging's `orders-photo:` ids, R23):
    # its Location is a path under this gateway's /api/, never another host.
    "Location",
    POSITION_HEADER,
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


def with_correlation(headers: dict[str, str]) -> dict[str, str]:
    """`headers` with this request's correlation id (replacing any the client sent), so the
    service's log lines and the events it appends carry the gateway's id."""
    for name in [k for k in headers if k.lower() == CORRELATION_HEADER.lower()]:
        del headers[name]
    correlation = current_correlation_id()
    if correlation:
        headers[CORRELATION_HEADER] = correlation
    return headers


_local = threading.local()


def _per_thread(name: str, make: Callable[[], Client], close: Callable[[Client], None]) -> Client:
    """This thread's client called `name`, kept and reused, but made anew once unused for
    REUSE_IDLE_S (see there)."""
    now = time.monotonic()
    held: tuple[Client, float] | None = getattr(_local, name, None)
    if held is not None and now - held[1] > REUSE_IDLE_S:
        close(held[0])
        held = None
    client = held[0] if held is not None else make()
    setattr(_local, name, (client, now))
    return client


def _new_session() -> requests.Session:
    """An HTTP session to the services for the pages' calls. One per thread, since a Session
    is not promised to be thread-safe; its connections stay open and are reused
    (`requests.request` opens and closes one for every call). It keeps no cookie, so nothing a
    service might set could travel with another caller's request, and it ignores the proxy
    and .netrc settings of the environment: the services are called directly, and reading
    those for every call was a tenth of the gateway's CPU."""
    session = requests.Session()
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.trust_env = False
    return session


def _session() -> requests.Session:
    return _per_thread("session", _new_session, requests.Session.close)


def _relayed(answer: Answer, header_names: Sequence[str]) -> Response:
    # Given with the answer, the headers are added once; the default Content-Type only
    # where the service sent none (as when each was set afterwards).
    kept = [(name, value) for name in header_names if (value := answer.header(name)) is not None]
    return Response(answer.data, status=answer.status, headers=kept)


def forward(
    base_url: str,
    method: str,
    path: str,
    query: bytes,
    body: bytes,
    headers: Headers,
    identity: Identity | None,
    secret: str,
) -> Response:
    """Send the request to a service as `identity` and relay its answer (`headers`: the
    client's, looked up by name without regard to case, as a request's headers are)."""
    outgoing = {
        name: value
        for name in FORWARDED_REQUEST_HEADERS
        if (value := headers.get(name)) is not None
    }
    if identity is not None:
        outgoing["Authorization"] = f"Bearer {issue_token(secret, identity)}"
    target = path + (f"?{query.decode()}" if query else "")
    try:
        answer = exchange(base_url, method, target, body, with_correlation(outgoing))
    except UpstreamError as exc:
        raise ServiceUnavailableError(str(exc)) from exc
    return _relayed(answer, FORWARDED_RESPONSE_HEADERS)


def forward_raw(url: str, body: bytes, headers: Mapping[str, str]) -> Response:
    """Pass a webhook on untouched: the raw body and the sender's headers (its signature)."""
    outgoing = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
    parts = urlsplit(url)
    try:
        answer = exchange(
            f"{parts.scheme}://{parts.netloc}",
            "POST",
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body,
            with_correlation(outgoing),
        )
    except UpstreamError as exc:
        raise ServiceUnavailableError(str(exc)) from exc
    relayed = _relayed(answer, ())
    relayed.headers["Content-Type"] = answer.header("Content-Type") or "application/json"
    return relayed


class ServiceAnswer:
    """A service's answer to a page's call: the status and the JSON body, if any."""

    def __init__(self, status: int, body: Any, position: str | None = None) -> None:
        self.status = status
        self.body = body
        self.position = position  # where a write's events reached (read your writes)

    @property
    def ok(self) -> bool:
        """The call succeeded (2xx)."""
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        """The service's error message, flattened for a page."""
        if isinstance(self.body, dict) and "message" in self.body:
            return _flatten(self.body["message"])
        return f"the request failed ({self.status})"


def _provider_failed(answer: requests.Response) -> bool:
    """A 502/503 whose error document says the payment provider failed, not the service."""
    if answer.status_code not in (502, 503):
        return False
    try:
        body = answer.json()
    except ValueError:
        return False
    return isinstance(body, dict) and str(body.get("error", "")).startswith("payment_provider_")


def _flatten(message: Any) -> str:
    if isinstance(message, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in message.items())
    if isinstance(message, list):
        return ", ".join(_flatten(value) for value in message)
    return str(message)


def multipart(
    data: Mapping[str, str], files: Sequence[Upload], idempotency_key: str
) -> tuple[bytes, str]:
    """The multipart body and its Content-Type, as requests encodes them (the fields, then
    the files, in order), but with a boundary taken from the idempotency key: the same form
    sent twice under one key is the same body, byte for byte."""
    fields = []
    for name, value in data.items():
        field = RequestField(name, value)
        field.make_multipart()
        fields.append(field)
    for name, (filename, content, content_type) in files:
        field = RequestField(name, content, filename=filename)
        field.make_multipart(content_type=content_type)
        fields.append(field)
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    while True:
        boundary = f"cnnect-{digest[:32]}"
        body, content_type = encode_multipart_formdata(fields, boundary=boundary)
        # One delimiter per part and the closing one: the boundary is nowhere in the parts.
        # Otherwise hash again (still the same for the same form), so a caller who knows its
        # key cannot end a part early from inside a file.
        if body.count(boundary.encode()) == len(fields) + 1:
            return body, content_type
        digest = hashlib.sha256(digest.encode()).hexdigest()


class ServiceClient:
    """The services' APIs as the pages call them: as the signed-in account, with a short
    timeout, and a ServiceUnavailableError when a service is down or failing (5xx)."""

    def __init__(self, urls: Mapping[str, str], secret: str, timeout_s: float = 5.0) -> None:
        self.urls = urls
        self.secret = secret
        self.timeout_s = timeout_s

    def call(
        self,
        service: str,
        method: str,
        path: str,
        identity: Identity | None,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: list[Upload] | None = None,
        idempotency_key: str | None = None,
        position: str | None = None,
        provider_errors: bool = False,
    ) -> ServiceAnswer:
        """Call `service` and return its answer (4xx included); 5xx or no answer raises.
        `position` is one a write of this caller's answered with: the read waits for it.
        With `provider_errors`, a 502/503 in which the service says its payment provider
        failed is an answer too: the service is up, PayPal is not."""
        headers = with_correlation({"Accept": "application/json"})
        if position:
            headers[POSITION_HEADER] = position
        if identity is not None:
            headers["Authorization"] = f"Bearer {issue_token(self.secret, identity)}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        body: Mapping[str, str] | bytes | None = data
        if idempotency_key and files:
            # The service fingerprints the body to tell a repeat from another request under
            # the same key, and requests would draw a new random boundary each time.
            body, headers["Content-Type"] = multipart(data or {}, files, idempotency_key)
            files = None
        try:
            answer = _session().request(
                method,
                f"{self.urls[service]}{path}",
                params=params,
                json=json,
                data=body,
                files=files,
                headers=headers,
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise ServiceUnavailableError(service) from exc
        if answer.status_code >= 500 and not (provider_errors and _provider_failed(answer)):
            raise ServiceUnavailableError(service)
        try:
            body = answer.json()
        except ValueError:
            body = None
        return ServiceAnswer(answer.status_code, body, answer.headers.get(POSITION_HEADER))

    def get(
        self,
        service: str,
        path: str,
        identity: Identity | None,
        params: Mapping[str, str] | None = None,
        position: str | None = None,
    ) -> ServiceAnswer:
        """GET `path` on `service` (after the write that answered `position`, if given)."""
        return self.call(service, "GET", path, identity, params=params, position=position)
