"""The account page (R26): changing one's password, the delivery addresses one keeps (their
forms are in account_addresses.py), and the browsers one is signed in on, each of which can
be signed out, or all at once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from services.gateway.adapters.account_sessions import ActiveSessions
from services.gateway.adapters.accounts_store import (
    Session,
    TooManyAttemptsError,
    session_digest,
)
from services.gateway.adapters.saved_addresses import SavedAddresses
from services.gateway.domain.accounts import check_password
from services.gateway.domain.addresses import MAX_SAVED_ADDRESSES, SavedAddress
from services.gateway.entrypoints.pages.accounts import typed_password
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.pages.form_errors import FormErrors, sentence
from services.gateway.entrypoints.sessions import (
    SIGNIN_WINDOW,
    clear_session_cookie,
    gateway,
    session_cookie,
    signed_in,
)
from shared.domain_errors import ValidationError

account_page = Blueprint("account_page", __name__)
html_errors(account_page)


def active_sessions() -> ActiveSessions:
    """The running gateway's view of accounts' live sessions."""
    accounts = gateway().accounts
    return ActiveSessions(accounts.store, accounts.cache)


def saved_addresses() -> SavedAddresses:
    """The running gateway's address books."""
    return SavedAddresses(gateway().accounts.store)


def current_digest() -> str:
    """The stored name of the caller's own session (to mark it, and to spare it)."""
    return session_digest(request.cookies.get(session_cookie(), ""))


def account_view(
    session: Session,
    status: int = 200,
    *,
    password_errors: FormErrors | None = None,
    address_form: dict[str, str] | None = None,
    address_errors: FormErrors | None = None,
    editing: SavedAddress | None = None,
    **forget_form: Any,
) -> tuple[str, int]:
    """The account page; a refused form on it comes back as typed, each reason beside its
    field (`address_form`: the address fields as typed; `editing`: the address they change;
    `forget_form`: the refused "Forget me" form's errors, holds and confirmation)."""
    account = session.account
    customer = account.role == "customer"  # staff keep no addresses (they place no orders)
    addresses = saved_addresses().of(account.account_id) if customer else []
    # A full book shows no empty form to add one more; a refused one is shown as typed.
    full = len(addresses) >= MAX_SAVED_ADDRESSES and editing is None and address_form is None
    if address_form is None:
        address_form = editing.as_form() if editing is not None else {}
    context: dict[str, Any] = {
        "password_errors": password_errors or FormErrors(),
        "addresses": addresses,
        "address_form": address_form,
        "address_errors": address_errors or FormErrors(prefix=""),
        "editing": editing,
        "addresses_full": full,
        "max_addresses": MAX_SAVED_ADDRESSES,
        "live_sessions": active_sessions().of(account.account_id, gateway().clock.now()),
        "this_session": current_digest(),
        "forget_errors": FormErrors(prefix="forget-"),
        "holds": [],
        "forget_confirmed": False,
        **forget_form,
    }
    return page("account.html", **context), status


@account_page.get("/account")
def account() -> ResponseReturnValue:
    """The account page."""
    return account_view(signed_in())


@account_page.post("/account/password")
def change_password() -> ResponseReturnValue:
    """Change the password, knowing the current one; every other session is signed out."""
    session = signed_in()
    account = session.account
    wired = gateway()
    now = wired.clock.now()
    current = typed_password("current_password")
    new = typed_password("new_password")
    again = typed_password("new_password_again")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = "Type your current password."
    else:
        # A guess at the current password is a sign-in attempt: the same per-e-mail and
        # per-address budget, so a borrowed session cannot try passwords without end.
        limits = [
            (f"email:{account.email}", wired.signin_limit),
            (f"addr:{request.remote_addr}", wired.signin_limit * 20),
        ]
        try:
            wired.accounts.note_attempt(limits, now, SIGNIN_WINDOW)
        except TooManyAttemptsError as exc:
            return account_view(
                session, 429, password_errors=FormErrors({"current_password": sentence(str(exc))})
            )
        if not wired.accounts.password_matches(account.account_id, current):
            errors["current_password"] = "This is not your current password."
    try:
        check_password(new, account.email)
    except ValidationError as exc:
        errors["new_password"] = sentence(str(exc))
    if "new_password" not in errors and new != again:
        errors["new_password_again"] = "The two new passwords differ; type the same one twice."
    if errors:
        return account_view(session, 400, password_errors=FormErrors(errors))
    wired.accounts.set_password(account.account_id, new)
    ended = wired.accounts.revoke_all(account.account_id, now, except_digest=current_digest())
    elsewhere = f" You were signed out on {ended} other device{'s' if ended != 1 else ''}."
    flash("Your password is changed." + (elsewhere if ended else ""), "success")
    return redirect("/account", code=303)


@account_page.post("/account/sessions/<session_id>/signout")
def sign_out_session(session_id: str) -> ResponseReturnValue:
    """Sign out one of the account's sessions (another person's is not found)."""
    session = signed_in()
    ended = active_sessions().revoke(session.account.account_id, session_id, gateway().clock.now())
    if ended is None:
        abort(404)
    if ended == current_digest():
        return _signed_out("You are signed out.")
    flash("That device is signed out.", "success")
    return redirect("/account#sessions", code=303)


@account_page.post("/account/signout-everywhere")
def sign_out_everywhere() -> ResponseReturnValue:
    """Sign the account out on every device, this one too."""
    session = signed_in()
    gateway().accounts.revoke_all(session.account.account_id, gateway().clock.now())
    return _signed_out("You are signed out on every device.")


def _signed_out(said: str) -> Response:
    flash(said, "success")
    return clear_session_cookie(redirect("/signin", code=303))
