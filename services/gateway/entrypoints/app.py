"""The gateway's HTTP front: sign-up, sign-in, sign-out, the services' APIs under
`/api/<service>/...`, and the payment providers' webhooks."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    request,
    stream_with_context,
)
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from services.gateway.adapters.accounts_store import Session, TooManyAttemptsError
from services.gateway.adapters.upstream import ServiceUnavailableError, forward, forward_raw
from services.gateway.bootstrap import Gateway
from services.gateway.console import follow_with_pauses, line
from services.gateway.domain.accounts import check_password, normalised_email
from shared.events.errors import NotFoundError
from shared.events.topology import Topology
from shared.web.errors import error_response, register_error_handlers
from shared.web.identity import ForbiddenError, Identity, UnauthorizedError

COOKIE = "cnnect_session"
CSRF_HEADER = "X-CSRF-Token"
SIGNIN_WINDOW = timedelta(minutes=15)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

bp = Blueprint("gateway", __name__)


class SignUpRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, validate=validate.Length(max=200))


def _gateway() -> Gateway:
    gateway: Gateway = current_app.extensions["cnnect.gateway"]
    return gateway


def _session() -> Session | None:
    """The caller's live session, if the cookie names one."""
    if "session" not in g:
        token = request.cookies.get(COOKIE)
        g.session = _gateway().accounts.session(token, _gateway().clock.now()) if token else None
    session: Session | None = g.session
    return session


def _signed_in() -> Session:
    session = _session()
    if session is None:
        raise UnauthorizedError("sign in first")
    # Every state-changing request made with the session cookie carries the session's CSRF
    # token: another site can make the browser send the cookie, never read the token.
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent, session.csrf_token):
            raise ForbiddenError("missing or wrong CSRF token")
    return session


def _identity(session: Session) -> Identity:
    return Identity(session.account.subject, session.account.role)


def _account_json(session: Session) -> dict[str, Any]:
    account = session.account
    return {
        "account_id": account.account_id,
        "email": account.email,
        "role": account.role,
        "csrf_token": session.csrf_token,
    }


def _signed_in_answer(token: str, session: Session, status: int) -> Response:
    response = jsonify(_account_json(session))
    response.status_code = status
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        path="/",
        secure=_gateway().settings.production,
        max_age=14 * 24 * 3600,
    )
    return response


@bp.post("/auth/signup")
def signup() -> ResponseReturnValue:
    """Free registration (R26): an e-mail and a password; signed in at once."""
    body = SignUpRequest().load(request.get_json(silent=True) or {})
    gateway = _gateway()
    account = gateway.accounts.create(
        normalised_email(body["email"]), check_password(body["password"]), "customer"
    )
    token, session = gateway.accounts.open_session(account, gateway.clock.now())
    return _signed_in_answer(token, session, 201)


@bp.post("/auth/signin")
def signin() -> ResponseReturnValue:
    """Sign in; attempts are limited per e-mail and per client address."""
    body = SignUpRequest().load(request.get_json(silent=True) or {})
    gateway = _gateway()
    email = body["email"].strip().lower()
    now = gateway.clock.now()
    # Per e-mail (guessing one password) and, looser, per client address (many accounts).
    limits = [
        (f"email:{email}", gateway.signin_limit),
        (f"addr:{request.remote_addr}", gateway.signin_limit * 20),
    ]
    gateway.accounts.note_attempt(limits, now, SIGNIN_WINDOW)
    account = gateway.accounts.authenticate(email, body["password"])
    if account is None:
        raise UnauthorizedError("wrong e-mail or password")
    token, session = gateway.accounts.open_session(account, now)
    return _signed_in_answer(token, session, 200)


@bp.post("/auth/signout")
def signout() -> ResponseReturnValue:
    """Sign out: the session is revoked, so a copied cookie stops working too."""
    _signed_in()
    gateway = _gateway()
    gateway.accounts.revoke(request.cookies.get(COOKIE, ""), gateway.clock.now())
    response = jsonify({"signed_out": True})
    response.delete_cookie(COOKIE, path="/")
    return response


@bp.get("/auth/me")
def me() -> ResponseReturnValue:
    """Who is signed in (and the CSRF token to send with changes)."""
    return jsonify(_account_json(_signed_in()))


@bp.route("/api/<service>/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def api(service: str, rest: str) -> ResponseReturnValue:
    """A service's API, called as the signed-in account (anonymous on public routes)."""
    gateway = _gateway()
    if service not in gateway.services:
        raise NotFoundError(f"no service {service}")
    session = _session()
    identity = None
    if session is not None:
        identity = _identity(_signed_in())
    return forward(
        gateway.services[service],
        request.method,
        f"/{rest}",
        request.query_string,
        request.get_data(),
        dict(request.headers),
        identity,
        gateway.settings.identity_secret,
    )


@bp.post("/webhooks/<provider>")
def webhook(provider: str) -> ResponseReturnValue:
    """Bank and PayPal notices, passed to billing untouched (billing checks the signature)."""
    if provider not in ("bank", "paypal"):
        raise NotFoundError(f"no webhook {provider}")
    url = f"{_gateway().services['billing']}/webhooks/{provider}"
    return forward_raw(url, request.get_data(), dict(request.headers))


@bp.get("/staff/events")
def staff_events() -> ResponseReturnValue:
    """Every integration event, live, as server-sent events (staff only, R27)."""
    session = _signed_in()
    if session.account.role not in ("staff", "admin"):
        raise ForbiddenError("staff only")
    settings = _gateway().settings

    def stream() -> Iterator[str]:
        yield ": connected\n\n"
        for envelope in follow_with_pauses(settings.amqp_url, Topology(settings.namespace)):
            # A comment line each quiet second: a closed connection is noticed, and ends this.
            yield (
                ": keep-alive\n\n"
                if envelope is None
                else (f"event: {envelope.type}\ndata: {line(envelope)}\n\n")
            )

    return Response(
        stream_with_context(stream()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The gateway is alive."""
    return jsonify({"status": "ok"})


def create_app(gateway: Gateway) -> Flask:
    """The gateway app over `gateway`."""
    app = Flask("gateway")
    app.extensions["cnnect.gateway"] = gateway
    app.config["MAX_CONTENT_LENGTH"] = 110 * 1024 * 1024
    register_error_handlers(app)
    app.register_error_handler(
        TooManyAttemptsError, lambda exc: error_response(429, "too_many_attempts", str(exc))
    )
    app.register_error_handler(
        ServiceUnavailableError,
        lambda exc: error_response(503, "service_unavailable", "that part is unavailable now"),
    )
    app.register_blueprint(bp)
    return app
