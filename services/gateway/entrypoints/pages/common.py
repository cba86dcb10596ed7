"""What every page shares: calling the services as the signed-in person, sections that
degrade when a service is down, form keys against double submits, and HTML errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.accounts_store import Session, TooManyAttemptsError
from services.gateway.adapters.upstream import (
    ServiceAnswer,
    ServiceClient,
    ServiceUnavailableError,
)
from services.gateway.entrypoints.pages.error_pages import (
    NOT_FOUND,
    SERVICE_NAMES,
    error_page,
    unavailable_part,
)
from services.gateway.entrypoints.pages.form_errors import refusal
from services.gateway.entrypoints.sessions import (
    CSRF_FIELD,
    current_session,
    gateway,
    identity_of,
    signed_in,
)
from shared.domain_errors import NotFoundError, ValidationError
from shared.web.identity import ForbiddenError, UnauthorizedError

FORM_KEY = "form_key"
POSITIONS = "positions"  # in the signed flash cookie: service -> its last write's position


@dataclass(frozen=True)
class Part:
    """One section of a page: the service's data, or why it is not there."""

    value: Any = None
    unavailable: str | None = None  # the service that did not answer
    missing: bool = False  # the service answered 404: nothing yet

    @property
    def shown(self) -> bool:
        """There is data to show."""
        return self.value is not None

    @property
    def notice(self) -> str:
        """What the page says instead of the section."""
        name = SERVICE_NAMES.get(self.unavailable or "", "This part")
        return f"{name} is unavailable right now; the rest of the page is up to date."


def client(timeout_s: float | None = None) -> ServiceClient:
    """The service client of the running gateway (waiting `timeout_s` for an answer, when
    longer than the usual: a call the service makes to PayPal on the way)."""
    wired = gateway()
    if timeout_s is None:
        return ServiceClient(wired.services, wired.settings.identity_secret)
    return ServiceClient(wired.services, wired.settings.identity_secret, timeout_s)


def session_identity() -> Any:
    """The identity of the signed-in caller, or None for a visitor."""
    session = current_session()
    return identity_of(session) if session is not None else None


def fetch(service: str, path: str, params: Mapping[str, str] | None = None) -> Part:
    """GET a section's data as the caller; a down service or a 404 becomes a notice."""
    try:
        answer = client().get(
            service, path, session_identity(), params, position=handed_position(service)
        )
    except ServiceUnavailableError:
        return Part(unavailable=service)
    if answer.status == 404:
        return Part(missing=True)
    if not answer.ok:
        return Part(unavailable=service)
    return Part(answer.body)


def send(
    service: str,
    method: str,
    path: str,
    *,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    provider_errors: bool = False,
    timeout_s: float | None = None,
) -> ServiceAnswer:
    """A change made from a form, as the signed-in caller (CSRF checked). The form's key
    is the Idempotency-Key, so a double click or a resubmitted page acts once.
    `provider_errors`: a payment provider's failure is an answer (see ServiceClient.call)."""
    identity = identity_of(signed_in())
    key = request.form.get(FORM_KEY) or None
    answer = client(timeout_s).call(
        service,
        method,
        path,
        identity,
        json=json,
        data=data,
        files=files,
        idempotency_key=f"page-{key}" if key else None,
        provider_errors=provider_errors,
    )
    if answer.position:
        # The page the form leads to hands it to its reads of `service` (read your writes).
        positions = dict(cookie_session.get(POSITIONS) or {})
        positions[service] = answer.position
        cookie_session[POSITIONS] = positions
    return answer


def handed_position(service: str) -> str | None:
    """The position of the caller's last change to `service` made from a form, which reads
    of `service` wait for. The first page shown after the form takes them all out of the
    cookie: once shown, later pages need not wait."""
    if request.method != "GET":
        held: dict[str, str] = cookie_session.get(POSITIONS) or {}
        return held.get(service)
    if "handed_positions" not in g:
        g.handed_positions = cookie_session.pop(POSITIONS, None) or {}
    position: str | None = g.handed_positions.get(service)
    return position


def done(answer: ServiceAnswer, success: str, target: str) -> Response:
    """Back to `target`, saying what happened (the service's reason when refused). What the
    caller may not touch answers as such: 404 for someone else's (or no) object, 401, 403."""
    if answer.status == 404:
        raise NotFoundError(answer.message)
    if answer.status == 401:
        raise UnauthorizedError(answer.message)
    if answer.status == 403:
        raise ForbiddenError(answer.message)
    if answer.ok:
        flash(success, "success")
    else:
        # The refusal in sentences (form_errors.py), not the service's field paths.
        for said in refusal(answer).sentences:
            flash(said, "error")
    return redirect(target, code=303)


def item_changes(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The quantities changed in an order's items form (`quantity-<item id>`, beside the
    `was-<item id>` it showed); one not a whole number is passed on as typed, for the API
    to say what is wrong."""
    changes: list[dict[str, Any]] = []
    for name, value in form.items():
        if name.startswith("quantity-"):
            item_id = name.removeprefix("quantity-")
            if value.strip() != form.get(f"was-{item_id}", "").strip():
                changes.append({"item_id": item_id, "quantity": number(value.strip())})
    return changes


def number(text: str) -> int | str:
    """A whole number when the field holds one; otherwise as typed, for the service to
    refuse with its reason."""
    return int(text) if text.isdigit() else text


def uploads(field: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    """The files of a multipart form field, passed on as they came (the service judges them)."""
    return [
        (
            field,
            (
                upload.filename or "upload",
                upload.read(),
                upload.mimetype or "application/octet-stream",
            ),
        )
        for upload in request.files.getlist(field)
        if upload.filename
    ]


def page(template: str, **context: Any) -> str:
    """Render a page with who is signed in and the CSRF token for its forms."""
    session: Session | None = current_session()
    return render_template(
        template,
        session=session,
        account=session.account if session else None,
        csrf_token=session.csrf_token if session else "",
        **context,
    )


def current_csrf_token() -> str:
    """The CSRF token of the caller's session ('' for a visitor), for every form."""
    session = current_session()
    return session.csrf_token if session else ""


def new_form_key() -> str:
    """A fresh key for one rendered form."""
    return uuid.uuid4().hex


def html_errors(bp: Blueprint) -> None:
    """Errors raised by a page answer as pages, not JSON."""

    def unauthorized(exc: Exception) -> ResponseReturnValue:
        if request.method == "GET":
            return redirect(url_for("account_pages.signin_page", next=request.full_path))
        return _error_page(401, "Please sign in again.")

    bp.register_error_handler(UnauthorizedError, unauthorized)
    bp.register_error_handler(ForbiddenError, lambda exc: _error_page(403, f"Not allowed: {exc}."))
    bp.register_error_handler(NotFoundError, lambda exc: _error_page(404, NOT_FOUND))
    bp.register_error_handler(ValidationError, lambda exc: _error_page(400, str(exc)))
    bp.register_error_handler(TooManyAttemptsError, lambda exc: _error_page(429, str(exc)))
    bp.register_error_handler(
        ServiceUnavailableError,
        lambda exc: error_page(
            503, f"{unavailable_part(exc)} is unavailable right now.", unavailable_part(exc)
        ),
    )


def _error_page(status: int, message: str) -> ResponseReturnValue:
    return error_page(status, message)


__all__ = ["CSRF_FIELD", "FORM_KEY", "Part", "done", "fetch", "html_errors", "page", "send"]
