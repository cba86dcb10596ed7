"""The second step of a staff or admin sign-in on the pages (R26): setting up the
authenticator app (QR code, key, a code to confirm, then ten recovery codes shown once), or
typing its current code. The pending cookie (second_factor_gate.py) says whose sign-in it is."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, flash, make_response, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.accounts_store import TooManyAttemptsError
from services.gateway.domain.accounts import Account
from services.gateway.domain.second_factor import (
    accepted_step,
    grouped,
    new_secret,
    provisioning_uri,
    qr_data_uri,
)
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.pages.form_errors import FormErrors, sentence
from services.gateway.entrypoints.second_factor_gate import (
    PENDING_COOKIE,
    WRONG_CODE,
    Pending,
    pass_second_factor,
    pending_for,
    read_pending,
    second_factors,
    with_pending,
    without_pending,
)
from services.gateway.entrypoints.sessions import (
    SIGNIN_WINDOW,
    gateway,
    open_session_for,
    set_session_cookie,
    signin_limits,
)
from shared.domain_errors import DomainError
from shared.web.identity import UnauthorizedError

second_factor_pages = Blueprint("second_factor_pages", __name__)
html_errors(second_factor_pages)

PATH = "/signin/second-factor"
EXPIRED = "Your sign-in waited more than five minutes for its code. Please sign in again."
MAX_CODE = 40
NO_CODE = "type the 6-digit code your authenticator app shows"


def to_second_factor(account: Account, next_page: str) -> Response:
    """After a staff or admin password: no session yet, the code page next."""
    wired = gateway()
    pending = pending_for(account, next_page, wired.clock.now())
    return with_pending(wired, redirect(PATH, code=303), pending)


def _pending() -> Pending | None:
    return read_pending(gateway(), request.cookies.get(PENDING_COOKIE, ""))


def _expired() -> Response:
    flash(EXPIRED, "error")
    return without_pending(redirect("/signin", code=303))


def _code() -> str:
    return request.form.get("code", "")[:MAX_CODE]


def _errors(message: str) -> FormErrors:
    return FormErrors(fields={"code": sentence(message)})


def _setup_page(pending: Pending, status: int = 200, error: str = "") -> Response:
    """The setup page of `pending` (a new secret unless it has one being set up)."""
    if not pending.candidate:
        pending = replace(pending, candidate=new_secret())
    uri = provisioning_uri(pending.candidate, pending.email)
    body = page(
        "second_factor_setup.html",
        qr=qr_data_uri(uri),
        secret=grouped(pending.candidate),
        email=pending.email,
        code=_code(),
        errors=_errors(error) if error else FormErrors(),
    )
    return with_pending(gateway(), make_response(body, status), pending)


def _code_page(status: int = 200, error: str = "") -> Response:
    body = page(
        "second_factor_code.html",
        code=_code(),
        errors=_errors(error) if error else FormErrors(),
    )
    return make_response(body, status)


def _open_session(pending: Pending) -> Response:
    token, _ = open_session_for(pending.account)
    response = redirect(pending.next or "/staff", code=303)
    return without_pending(set_session_cookie(response, token))


@second_factor_pages.get(PATH)
def second_factor_page() -> ResponseReturnValue:
    """The code page, or the setup page on the first sign-in."""
    pending = _pending()
    if pending is None:
        return _expired()
    if second_factors(gateway()).enrolment(pending.account_id) is None:
        return _setup_page(pending)
    return _code_page()


@second_factor_pages.post(PATH)
def second_factor_form() -> ResponseReturnValue:
    """Check the code: it completes the sign-in, or confirms the setup."""
    pending = _pending()
    if pending is None:
        return _expired()
    wired = gateway()
    if second_factors(wired).enrolment(pending.account_id) is None:
        return _confirm_setup(pending)
    if not _code().strip():
        return _code_page(400, NO_CODE)
    try:
        pass_second_factor(
            wired, pending.account, _code(), signin_limits(pending.email), SIGNIN_WINDOW
        )
    except TooManyAttemptsError as exc:
        return _code_page(429, str(exc))
    except (UnauthorizedError, DomainError) as exc:
        return _code_page(401, str(exc))
    return _open_session(pending)


def _confirm_setup(pending: Pending) -> Response:
    """A code of the secret being set up keeps it, and shows the recovery codes once."""
    wired, code = gateway(), _code()
    factors, now, limits = second_factors(wired), wired.clock.now(), signin_limits(pending.email)
    if not pending.candidate:
        return _setup_page(pending)
    if not code.strip():
        return _setup_page(pending, 400, NO_CODE)
    if factors.attempts_exceeded(limits, now, SIGNIN_WINDOW):
        return _setup_page(pending, 429, "too many sign-in attempts; wait a few minutes")
    step = accepted_step(pending.candidate, code, now, None)
    if step is None:
        try:
            wired.accounts.note_attempt(limits, now, SIGNIN_WINDOW)
        except TooManyAttemptsError as exc:
            return _setup_page(pending, 429, str(exc))
        return _setup_page(pending, 400, WRONG_CODE)
    codes = factors.enrol(pending.account_id, pending.candidate, step)
    if codes is None:  # set up meanwhile (another tab): its code is asked for instead
        return redirect(PATH, code=303)
    # The session opens with the codes' page: no "continue" step that a copied pending
    # cookie could replay within its five minutes to open further sessions.
    token, _ = open_session_for(pending.account)
    body = page("recovery_codes.html", codes=codes, next_page=pending.next or "/staff")
    response = make_response(body, 200)
    response.headers["Cache-Control"] = "no-store"  # shown once: never from the cache
    return without_pending(set_session_cookie(response, token))
