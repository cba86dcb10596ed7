"""The gateway's JSON routes: accounts, the services' APIs under `/api/<service>/...`, the
payment providers' webhooks, the staff's live event feed, probes and metrics."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Blueprint, Response, jsonify, request, stream_with_context
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.gateway.adapters.upstream import forward, forward_raw
from services.gateway.console import Subscription, line
from services.gateway.entrypoints.account_links import welcome
from services.gateway.entrypoints.sessions import (
    account_json,
    caller_identity,
    clear_session_cookie,
    gateway,
    set_session_cookie,
    sign_in,
    sign_out,
    sign_up,
    signed_in,
    staff_signed_in,
)
from shared.domain_errors import NotFoundError
from shared.events.topology import Topology
from shared.observability.web import metrics_response

api = Blueprint("gateway_api", __name__)
# Service routes for the internal network only: never passed on from outside.
INTERNAL_PATHS = frozenset({"metrics"})
# Routes only the gateway itself calls: where a customer's e-mails go is the accounts' word
# (a verified address), so no staff member may point them elsewhere through the proxy; and a
# customer is announced forgotten only by the gateway, once it has forgotten them (an admin's
# or the customer's own request, after the legal hold: issue 21).
GATEWAY_ONLY = (re.compile(r"^messaging/(account-mails|customers/[^/]+/(email|forgotten))/?$"),)


class CredentialsRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, validate=validate.Length(max=200))


class SigninRequest(CredentialsRequest):
    # Staff and admin accounts: the authenticator app's 6-digit code, or a recovery code.
    code = fields.String(load_default=None, validate=validate.Length(max=40))


@api.post("/auth/signup")
def signup() -> ResponseReturnValue:
    """Free registration (R26): an e-mail and a password; signed in at once."""
    body = CredentialsRequest().load(request.get_json(silent=True) or {})
    token, session = sign_up(body["email"], body["password"])
    # The account exists either way; `verification_mail` says whether its link went out.
    sent = welcome(session.account)
    response = jsonify({**account_json(session), "verification_mail": sent})
    response.status_code = 201
    return set_session_cookie(response, token)


@api.post("/auth/signin")
def signin() -> ResponseReturnValue:
    """Sign in; attempts are limited per e-mail and per client address. A staff or admin
    account also sends `code` (R26): without it, or with a wrong one, no session (401)."""
    body = SigninRequest().load(request.get_json(silent=True) or {})
    token, session = sign_in(body["email"], body["password"], body["code"])
    return set_session_cookie(jsonify(account_json(session)), token)


@api.post("/auth/signout")
def signout() -> ResponseReturnValue:
    """Sign out: the session is revoked, so a copied cookie stops working too."""
    sign_out()
    response = jsonify({"signed_out": True})
    clear_session_cookie(response)
    return response


@api.get("/auth/me")
def me() -> ResponseReturnValue:
    """Who is signed in (and the CSRF token to send with changes)."""
    return jsonify(account_json(signed_in()))


@api.route("/api/<service>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def forwarded(service: str, rest: str) -> ResponseReturnValue:
    """A service's API, called as the signed-in account (anonymous on public routes)."""
    wired = gateway()
    if (
        service not in wired.services
        or rest.strip("/") in INTERNAL_PATHS
        or any(route.match(f"{service}/{rest}") for route in GATEWAY_ONLY)
    ):
        raise NotFoundError(f"no service route {service}/{rest}")
    return forward(
        wired.services[service],
        request.method,
        f"/{rest}",
        request.query_string,
        request.get_data(),
        request.headers,
        caller_identity(),
        wired.settings.identity_secret,
    )


@api.post("/webhooks/<provider>")
def webhook(provider: str) -> ResponseReturnValue:
    """Bank and PayPal notices, passed to billing untouched (billing checks the signature)."""
    if provider not in ("bank", "paypal"):
        raise NotFoundError(f"no webhook {provider}")
    url = f"{gateway().services['billing']}/webhooks/{provider}"
    return forward_raw(url, request.get_data(), dict(request.headers))


@api.get("/staff/events")
def staff_events() -> ResponseReturnValue:
    """Every integration event, live, as server-sent events (staff only, R27)."""
    staff_signed_in()
    settings = gateway().settings
    zone = gateway().config.staff_timezone
    reveal = gateway().personal.reveal  # the events' customer texts are sealed (issue 21)
    # Bound here, before the first byte: an event published as soon as the client reads
    # "connected" is already routed to this queue (and a broker that is down is a 503).
    subscription = Subscription.open(settings.amqp_url, Topology(settings.namespace))

    def stream() -> Iterator[str]:
        yield ": connected\n\n"
        for envelope in subscription.with_pauses():
            # A comment line each quiet second: a closed connection is noticed, and ends this.
            yield (
                ": keep-alive\n\n"
                if envelope is None
                else (f"event: {envelope.type}\ndata: {line(envelope, zone, reveal)}\n\n")
            )

    response = Response(
        stream_with_context(stream()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # The server closes the response when the client goes away (or the stream ends), even
    # if the stream never started: that closes the connection, and the queue is deleted.
    response.call_on_close(subscription.close)
    return response


@api.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The gateway is alive."""
    return jsonify({"status": "ok"})


@api.get("/readyz")
def readyz() -> ResponseReturnValue:
    """The gateway can serve: its database answers and every service has a URL."""
    wired = gateway()
    checks: dict[str, str] = {}
    try:
        wired.accounts.store.transact(lambda tx: tx.conn.execute("SELECT 1").fetchone())
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    for name, url in sorted(wired.services.items()):
        checks[f"{name}_url"] = "ok" if url.startswith(("http://", "https://")) else "missing"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return jsonify(body), 200 if ready else 503


@api.get("/metrics")
def metrics() -> ResponseReturnValue:
    """The gateway's Prometheus metrics, for staff (scrapers use the internal metrics port)."""
    staff_signed_in()
    return metrics_response()
