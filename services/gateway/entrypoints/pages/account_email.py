"""Confirming an e-mail address and changing it (R26): the reminder on a customer's pages until
the address is confirmed, the links' pages, and the change-of-address form.

A link opens a page with a button that POSTs: a mail scanner following links (a GET) must not
use up the token. The address changes only when the new address's link is used."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.account_tokens import CHANGE_EMAIL, VERIFY_EMAIL
from services.gateway.adapters.accounts_store import (
    EmailTakenError,
    Session,
    TooManyAttemptsError,
)
from services.gateway.domain.accounts import normalised_email
from services.gateway.entrypoints.account_links import mail_verification, mailer, tokens
from services.gateway.entrypoints.pages.account_words import SENDING_FAILED, TOO_MANY, link_problem
from services.gateway.entrypoints.pages.accounts import typed_email, typed_password
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.pages.form_errors import FormErrors
from services.gateway.entrypoints.sessions import (
    SIGNIN_WINDOW,
    STAFF_ROLES,
    current_session,
    gateway,
    signed_in,
)
from shared.domain_errors import ValidationError

account_email_pages = Blueprint("account_email_pages", __name__)
html_errors(account_email_pages)

RESENDS_PER_WINDOW = 3  # "send the link again", per account in the sign-in window
MAX_TOKEN = 200
EMAIL_FORM_PREFIX = "email-"


@account_email_pages.app_context_processor
def _reminder() -> dict[str, Any]:
    """`email_unconfirmed()` for base.html's reminder, asked only when a page shows it, and
    `account_email_section()` for `_account_email.html` on a page that did not pass it."""
    return {"email_unconfirmed": email_unconfirmed, "account_email_section": _section_now}


def _section_now() -> dict[str, Any]:
    section: dict[str, Any] = email_section_context(signed_in())["email_section"]
    return section


def email_unconfirmed() -> bool:
    """Whether the signed-in customer has not confirmed their address yet."""
    session = current_session()
    if session is None or session.account.role != "customer":
        return False
    return not tokens().is_verified(session.account.account_id)


def _token() -> str:
    return request.values.get("token", "")[:MAX_TOKEN]


def _back(default: str) -> str:
    """Where a form leads back to: a path on this site only (no open redirect)."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _landing(session: Session | None) -> str:
    if session is None:
        return "/signin"
    return "/staff" if session.account.role in STAFF_ROLES else "/orders"


def _link_page(purpose: str, status: int = 200, **context: Any) -> Response:
    state = tokens().state(_token(), purpose, gateway().clock.now())
    context.setdefault("problem", link_problem(state))
    response = make_response(
        page("account_link.html", purpose=purpose, token=_token(), **context), status
    )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token stays off other sites
    return response


@account_email_pages.get("/account/verify")
def verify_page() -> ResponseReturnValue:
    """The page a confirmation link opens: a button to confirm (the GET uses nothing)."""
    return _link_page(VERIFY_EMAIL)


@account_email_pages.post("/account/verify")
def verify_form() -> ResponseReturnValue:
    """Confirm the address with the link's token (once)."""
    used = tokens().verify_email(_token(), gateway().clock.now())
    if used is None:
        return _link_page(VERIFY_EMAIL, 400)
    session, account = current_session(), tokens().account(used.account_id)
    if account is not None and account.role == "customer":
        mailer().remember_address(account.account_id, account.email)  # if sign-up could not
    flash("Thank you: your e-mail address is confirmed.", "success")
    mine = session is not None and session.account.account_id == used.account_id
    return redirect(_landing(session if mine else None), code=303)


@account_email_pages.post("/account/verify/resend")
def resend_form() -> ResponseReturnValue:
    """Send the confirmation link again (a few times per quarter of an hour)."""
    session = signed_in()
    back = _back(_landing(session))
    if back.startswith("/account/verify"):  # the link's page, whose token is not in `back`
        back = _landing(session)
    account = session.account
    if tokens().is_verified(account.account_id):
        flash("Your e-mail address is confirmed already.", "info")
        return redirect(back, code=303)
    wired = gateway()
    try:
        limits = [(f"verify-resend:{account.account_id}", RESENDS_PER_WINDOW)]
        wired.accounts.note_attempt(limits, wired.clock.now(), SIGNIN_WINDOW)
    except TooManyAttemptsError:
        flash(TOO_MANY, "error")
        return redirect(back, code=303)
    if mail_verification(account):
        flash(f"We sent a new link to {account.email}.", "success")
    else:
        flash(SENDING_FAILED, "error")
    return redirect(back, code=303)


def email_section_context(
    session: Session, errors: FormErrors | None = None, typed: str = "", back: str = "/account"
) -> dict[str, Any]:
    """What `_account_email.html` shows for `session`'s account: its address, whether it is
    confirmed, a change waiting for confirmation, and a refused form's errors and text."""
    wired = gateway()
    links = tokens(wired)
    account_id = session.account.account_id
    return {
        "email_section": {
            "email": session.account.email,
            "verified": links.is_verified(account_id),
            "pending": links.pending_change(account_id, wired.clock.now()),
            "errors": errors or FormErrors(prefix=EMAIL_FORM_PREFIX),
            "new_email": typed,
            "back": back,
        }
    }


@account_email_pages.get("/account/email")
def email_page() -> ResponseReturnValue:
    """The change-of-address form on a page of its own (the account page includes it too)."""
    session = signed_in()
    return page("account_email_page.html", **email_section_context(session, back="/account/email"))


@account_email_pages.post("/account/email")
def email_form() -> ResponseReturnValue:
    """Ask to use a new address: a link goes to it, a notice to the current one."""
    session = signed_in()
    back = _back("/account")
    typed = typed_email("new_email")
    refused = _refusal(session, typed, typed_password("current_password"))
    if refused:
        context = email_section_context(session, refused, typed, back)
        return page("account_email_page.html", **context), 429 if _too_many(refused) else 400
    wired = gateway()
    account, new_email = session.account, normalised_email(typed)
    issued = tokens(wired).issue(account.account_id, CHANGE_EMAIL, wired.clock.now(), new_email)
    sent = mailer(wired).send_link(
        "confirm_new_email", account.account_id, new_email, issued, new_email
    )
    if not sent:
        errors = FormErrors(general=[SENDING_FAILED], prefix=EMAIL_FORM_PREFIX)
        context = email_section_context(session, errors, typed, back)
        return page("account_email_page.html", **context), 503
    mailer(wired).send_change_notice(account.account_id, account.email, new_email, issued)
    flash(
        f"We sent a link to {new_email}. Your address changes when you open it (within 24 hours).",
        "success",
    )
    return redirect(back, code=303)


def _refusal(session: Session, typed: str, password: str) -> FormErrors:
    """Why the change cannot be asked, beside the field concerned (empty when it can)."""
    wired, account = gateway(), session.account
    found = FormErrors(prefix=EMAIL_FORM_PREFIX)
    try:
        # The password is guessed here as on the sign-in page: the same limit applies.
        limits = [(f"email:{account.email}", wired.signin_limit)]
        wired.accounts.note_attempt(limits, wired.clock.now(), SIGNIN_WINDOW)
    except TooManyAttemptsError:
        found.general.append(TOO_MANY)
        return found
    try:
        new_email = normalised_email(typed)
    except ValidationError:
        found.fields["new_email"] = "Give a valid e-mail address, like name@example.com."
        new_email = ""
    if new_email and new_email == account.email:
        found.fields["new_email"] = "This is your address already."
    elif new_email and tokens(wired).account_id_of(new_email) is not None:
        found.fields["new_email"] = "Another account uses this address."
    if not wired.accounts.password_matches(account.account_id, password):
        found.fields["current_password"] = "This is not your current password."
    return found


def _too_many(errors: FormErrors) -> bool:
    return TOO_MANY in errors.general


@account_email_pages.get("/account/email/confirm")
def confirm_page() -> ResponseReturnValue:
    """The page a new address's link opens: the address, and a button to confirm it."""
    return _link_page(CHANGE_EMAIL, new_email=tokens().new_email_of(_token()) or "")


@account_email_pages.post("/account/email/confirm")
def confirm_form() -> ResponseReturnValue:
    """Use the new address's link: from now on the account's address is the new one."""
    try:
        used = tokens().change_email(_token(), gateway().clock.now())
    except EmailTakenError:
        problem = "Another account started using this address meanwhile; it cannot be yours too."
        return _link_page(CHANGE_EMAIL, 409, problem=problem)
    if used is None or used.new_email is None:
        return _link_page(CHANGE_EMAIL, 400)
    account = tokens().account(used.account_id)
    if account is not None and account.role == "customer":
        mailer().remember_address(account.account_id, used.new_email)  # order e-mails go there
    flash(f"Your e-mail address is now {used.new_email}.", "success")
    session = current_session()
    mine = session is not None and session.account.account_id == used.account_id
    return redirect("/account/email" if mine else "/signin", code=303)
