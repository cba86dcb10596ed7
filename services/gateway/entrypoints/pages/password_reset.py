"""A forgotten password (R26): a link by e-mail, valid 1 hour and once, to choose a new one.

Asking says the same words in about the same time whether or not an account has the address
(the lookup and the e-mail happen after the answer, in the background): the page tells nobody
who is registered. Choosing the new password signs the account out everywhere, then signs a
customer in with a fresh session (staff sign in again, with their second factor)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Blueprint, flash, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.account_tokens import RESET_PASSWORD
from services.gateway.adapters.accounts_store import TooManyAttemptsError
from services.gateway.bootstrap import Gateway
from services.gateway.domain.accounts import check_password, normalised_email
from services.gateway.entrypoints.account_links import mailer, tokens
from services.gateway.entrypoints.pages.account_words import TOO_MANY, link_problem
from services.gateway.entrypoints.pages.accounts import (
    check_form_token,
    typed_email,
    typed_password,
    with_form_token,
)
from services.gateway.entrypoints.pages.common import html_errors
from services.gateway.entrypoints.pages.form_errors import FormErrors
from services.gateway.entrypoints.sessions import (
    SIGNIN_WINDOW,
    STAFF_ROLES,
    gateway,
    set_session_cookie,
)
from shared.domain_errors import ValidationError

log = logging.getLogger(__name__)

password_reset_pages = Blueprint("password_reset_pages", __name__)
html_errors(password_reset_pages)

ASKS_PER_EMAIL = 3  # reset e-mails per address in the sign-in window
ASKS_PER_CLIENT = 30  # and per client address (many accounts)
MAX_TOKEN = 200
# Sends reset e-mails after the answer, so the answer takes no longer for a real account.
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="reset-mail")


def _with_form_token(template: str, status: int = 200, **context: Any) -> Response:
    """A sign-in-less form page (as /signin's) that keeps its token off other sites."""
    response = with_form_token(template, status, **context)
    response.headers["Referrer-Policy"] = "no-referrer"  # a reset token stays off other sites
    return response


@password_reset_pages.get("/account/forgot-password")
def forgot_page() -> ResponseReturnValue:
    """Ask for a link to choose a new password."""
    return _with_form_token("forgot_password.html", email="", errors=FormErrors())


@password_reset_pages.post("/account/forgot-password")
def forgot_form() -> ResponseReturnValue:
    """The same answer for every address; a link goes out if an account has it."""
    check_form_token()
    typed = typed_email()
    try:
        email = normalised_email(typed)
    except ValidationError:
        errors = FormErrors(fields={"email": "Give a valid e-mail address."})
        return _with_form_token("forgot_password.html", 400, email=typed, errors=errors)
    wired = gateway()
    limits = [
        (f"reset:{email}", ASKS_PER_EMAIL),
        (f"reset-addr:{request.remote_addr}", ASKS_PER_CLIENT),
    ]
    try:
        wired.accounts.note_attempt(limits, wired.clock.now(), SIGNIN_WINDOW)
    except TooManyAttemptsError:
        errors = FormErrors(general=[TOO_MANY])
        return _with_form_token("forgot_password.html", 429, email=typed, errors=errors)
    _BACKGROUND.submit(_send_reset_link, wired, email)
    return _with_form_token("forgot_password.html", email=email, asked=True, errors=FormErrors())


def _send_reset_link(wired: Gateway, email: str) -> None:
    """Mail a reset link if an account has `email` (in the background: see the module)."""
    try:
        links = tokens(wired)
        account_id = links.account_id_of(email)
        if account_id is None:
            return
        issued = links.issue(account_id, RESET_PASSWORD, wired.clock.now())
        if not mailer(wired).send_link(RESET_PASSWORD, account_id, email, issued):
            log.warning("a password link for %s could not be sent", account_id)
    except Exception:  # a background task has nobody to answer: log it
        log.exception("sending a password link failed")


def _token() -> str:
    return request.values.get("token", "")[:MAX_TOKEN]


def _reset_page(status: int = 200, problem: str = "", errors: FormErrors | None = None) -> Response:
    if not problem:
        state = tokens().state(_token(), RESET_PASSWORD, gateway().clock.now())
        problem = link_problem(state)
    return _with_form_token(
        "reset_password.html",
        status,
        token=_token(),
        problem=problem,
        errors=errors or FormErrors(),
    )


@password_reset_pages.get("/account/reset-password")
def reset_page() -> ResponseReturnValue:
    """The page a password link opens: the new password, twice (the GET uses nothing)."""
    return _reset_page()


@password_reset_pages.post("/account/reset-password")
def reset_form() -> ResponseReturnValue:
    """Keep the new password, sign out every session of the account, and sign in anew."""
    check_form_token()
    password = typed_password()
    again = typed_password("password_again")
    wired = gateway()
    links = tokens(wired)
    now = wired.clock.now()
    owner = links.owner(_token())
    account = links.account(owner) if owner is not None else None
    if account is None or links.state(_token(), RESET_PASSWORD, now) != "valid":
        return _reset_page(400)
    errors = FormErrors()
    try:
        check_password(password, account.email)
    except ValidationError as exc:
        errors.fields["password"] = f"{str(exc)[0].upper()}{str(exc)[1:]}."
    if password != again:
        errors.fields["password_again"] = "The two passwords differ: type the same one twice."
    if errors:
        return _reset_page(400, errors=errors)
    if links.take_reset(_token(), now) is None:  # once: of two tries at once, one gets it
        return _reset_page(400)
    # Its own transaction after the link's: should the process stop in between, the link is
    # used and the old password kept; asking for a new link is the way on.
    wired.accounts.set_password(account.account_id, password)
    ended = wired.accounts.revoke_all(account.account_id, now)
    if account.role in STAFF_ROLES:
        # Staff sign in with a second factor too: a mailed link must not stand in for it.
        flash("Your new password is kept. Sign in with it, and your code.", "success")
        return redirect("/signin", code=303)
    token, _ = wired.accounts.open_session(
        account,
        now,
        user_agent=request.headers.get("User-Agent", ""),
        client_address=request.remote_addr or "",
    )
    flash("Your new password is kept, and you are signed in.", "success")
    if ended:
        flash("Every other session of your account was signed out.", "info")
    return set_session_cookie(redirect("/orders", code=303), token)
