"""Sign-up, sign-in and sign-out pages (R26)."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import Blueprint, flash, make_response, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.accounts_store import EmailTakenError, TooManyAttemptsError
from services.gateway.entrypoints.account_links import welcome
from services.gateway.entrypoints.pages.account_words import SENDING_FAILED
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.pages.form_errors import form_errors
from services.gateway.entrypoints.pages.second_factor import to_second_factor
from services.gateway.entrypoints.second_factor_gate import needs_second_factor
from services.gateway.entrypoints.sessions import (
    STAFF_ROLES,
    check_credentials,
    clear_session_cookie,
    cookie_name,
    gateway,
    open_session_for,
    set_session_cookie,
    set_site_cookie,
    sign_out,
    sign_up,
)
from shared.domain_errors import ValidationError
from shared.web.identity import ForbiddenError, UnauthorizedError

account_pages = Blueprint("account_pages", __name__)
html_errors(account_pages)

# Before sign-in there is no session to hold a CSRF token, so these two forms use a
# double-submit cookie: another site can post the form, but cannot read or set the cookie.
FORM_COOKIE = "cnnect_form"


def _form_cookie() -> str:
    """The double-submit cookie's name (`__Host-` in production, as the session's)."""
    return cookie_name(FORM_COOKIE, gateway().settings.production)


def _next() -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    target = request.values.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def with_form_token(template: str, status: int = 200, **context: Any) -> Response:
    """A page whose form carries the double-submit token (no session holds one yet), and the
    cookie holding the same token."""
    token = request.cookies.get(_form_cookie()) or secrets.token_urlsafe(24)
    response = make_response(page(template, form_token=token, **context), status)
    set_site_cookie(response, _form_cookie(), token, "Strict")
    return response


def _form(template: str, status: int = 200, error: str = "") -> Response:
    return with_form_token(
        template,
        status,
        next=_next(),
        error=error,
        errors=form_errors(error, {}),  # beside the e-mail or the password field
        email=typed_email(),
    )


def typed_email(name: str = "email") -> str:
    """The form's e-mail field `name` as typed, cut at the longest address there is (320)."""
    return request.form.get(name, "")[:320]


def typed_password(name: str = "password") -> str:
    """The form's password field `name`, cut at 200 characters (a longer one is never hashed)."""
    return request.form.get(name, "")[:200]


def check_form_token() -> None:
    """Refuse (403) a form whose token is not the one in its double-submit cookie."""
    cookie = request.cookies.get(_form_cookie(), "")
    sent = request.form.get("form_token", "")
    if not cookie or not hmac.compare_digest(cookie, sent):
        raise ForbiddenError("the form expired; reload the page and try again")


def _signed_in_to(token: str, role: str) -> Response:
    landing = _next() or ("/staff" if role in STAFF_ROLES else "/orders")
    return set_session_cookie(redirect(landing, code=303), token)


@account_pages.get("/signup")
def signup_page() -> ResponseReturnValue:
    """The free registration form (R26)."""
    return _form("signup.html")


@account_pages.post("/signup")
def signup_form() -> ResponseReturnValue:
    """Register and sign in at once."""
    check_form_token()
    try:
        token, session = sign_up(typed_email(), typed_password())
    except (ValidationError, EmailTakenError) as exc:
        return _form("signup.html", 400 if isinstance(exc, ValidationError) else 409, str(exc))
    flash("Welcome to CNNECT. Your account is ready.", "success")
    if welcome(session.account):
        flash(f"We sent a link to {session.account.email} to confirm your address.", "info")
    else:
        flash(SENDING_FAILED, "error")
    return _signed_in_to(token, session.account.role)


@account_pages.get("/signin")
def signin_page() -> ResponseReturnValue:
    """The sign-in form."""
    return _form("signin.html")


@account_pages.post("/signin")
def signin_form() -> ResponseReturnValue:
    """Sign in (attempts limited per e-mail and per address)."""
    check_form_token()
    try:
        account = check_credentials(typed_email(), typed_password())
    except UnauthorizedError as exc:
        return _form("signin.html", 401, str(exc))
    except TooManyAttemptsError as exc:
        return _form("signin.html", 429, str(exc))
    if needs_second_factor(account):  # staff and admins: no session before the code (R26)
        return to_second_factor(account, _next())
    token, session = open_session_for(account)
    return _signed_in_to(token, session.account.role)


@account_pages.post("/signout")
def signout_form() -> ResponseReturnValue:
    """Sign out; the session is revoked on the server."""
    sign_out()
    response = redirect("/", code=303)
    clear_session_cookie(response)
    return response
