"""Forgetting a customer from a page (issue 21): the staff console's customer page, where an
admin forgets them, and the customer's own "Forget me" form on the account page, which asks
for the password again and an explicit confirmation. Both refuse (409) while an order holds
the customer back, saying per order why and what settles it."""

from __future__ import annotations

from flask import Blueprint, flash, g, make_response, redirect, request
from flask.typing import ResponseReturnValue

from services.gateway.adapters.accounts_store import Session, TooManyAttemptsError
from services.gateway.domain.forgetting import shown_email
from services.gateway.entrypoints.account_links import tokens
from services.gateway.entrypoints.forgetting import forget_customer, forgotten_customers
from services.gateway.entrypoints.pages.account import account_view
from services.gateway.entrypoints.pages.accounts import typed_password
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.pages.form_errors import FormErrors, sentence
from services.gateway.entrypoints.pages.staff_accounts import admin_signed_in
from services.gateway.entrypoints.sessions import (
    SIGNIN_WINDOW,
    clear_session_cookie,
    gateway,
    signed_in,
    staff_signed_in,
)
from shared.domain_errors import NotFoundError

forgetting_pages = Blueprint("forgetting_pages", __name__)
html_errors(forgetting_pages)

CONFIRM = "confirm"


def customer_view(customer_id: str, status: int = 200, **refused: object) -> tuple[str, int]:
    """The staff console's page of one customer: their e-mail (or "forgotten customer"),
    whether they were forgotten and told to the services, and, for admins, the forget form."""
    session = staff_signed_in()
    wired = gateway()
    record = forgotten_customers(wired)
    if not record.is_customer(customer_id):
        raise NotFoundError(f"no customer {customer_id}")
    email = wired.accounts.emails([customer_id]).get(customer_id, "")
    context = {
        "customer_id": customer_id,
        "customer_email": shown_email(email),
        "email_unconfirmed": not tokens(wired).is_verified(customer_id),
        "forgotten": record.of(customer_id),
        "is_admin": session.account.role == "admin",
        "staff_zone": wired.config.staff_timezone,  # staff read times in their zone (R27)
        "holds": [],
        "confirmed": False,
        "forget_errors": FormErrors(prefix="forget-"),
        **refused,
    }
    return page("staff/customer.html", **context), status


@forgetting_pages.get("/staff/customers/<customer_id>")
def staff_customer(customer_id: str) -> ResponseReturnValue:
    """One customer as staff see them."""
    return customer_view(customer_id)


@forgetting_pages.post("/staff/customers/<customer_id>/forget")
def staff_forget(customer_id: str) -> ResponseReturnValue:
    """An admin forgets the customer (staff who are not admins: 403)."""
    admin_signed_in()
    confirmed = request.form.get(CONFIRM) == "yes"
    if not confirmed:
        errors = FormErrors(
            {CONFIRM: "Tick the box to confirm: forgetting cannot be undone."}, prefix="forget-"
        )
        return customer_view(customer_id, 400, forget_errors=errors)
    outcome = forget_customer(gateway(), customer_id)
    if not outcome.done:
        return customer_view(customer_id, 409, holds=outcome.holds, confirmed=True)
    pending = outcome.forgotten is not None and not outcome.forgotten.announced
    flash(
        "The customer is forgotten."
        + (" The other services are not told yet: forget again to retry." if pending else ""),
        "warning" if pending else "success",
    )
    return redirect(f"/staff/customers/{customer_id}", code=303)


@forgetting_pages.post("/account/forget")
def forget_me() -> ResponseReturnValue:
    """The customer forgets themselves: their password again, and the box ticked."""
    session = signed_in()
    account = session.account
    if account.role != "customer":
        raise NotFoundError("staff accounts are not forgotten here")
    wired = gateway()
    password = typed_password("password")
    confirmed = request.form.get(CONFIRM) == "yes"
    errors: dict[str, str] = {}
    if not password:
        errors["password"] = "Type your password to confirm it is you."
    else:
        # A guess at the password is a sign-in attempt (as on the password form).
        limits = [
            (f"email:{account.email}", wired.signin_limit),
            (f"addr:{request.remote_addr}", wired.signin_limit * 20),
        ]
        try:
            wired.accounts.note_attempt(limits, wired.clock.now(), SIGNIN_WINDOW)
        except TooManyAttemptsError as exc:
            errors["password"] = sentence(str(exc))
            return _refused(session, 429, errors, confirmed)
        if not wired.accounts.password_matches(account.account_id, password):
            errors["password"] = "This is not your password."
    if not confirmed:
        errors[CONFIRM] = "Tick the box to confirm: forgetting cannot be undone."
    if errors:
        return _refused(session, 400, errors, confirmed)
    outcome = forget_customer(wired, account.account_id)
    if not outcome.done:
        return account_view(session, 409, holds=outcome.holds, forget_confirmed=confirmed)
    # The sessions were deleted with the account's rows; the cookie goes too, and the page
    # is a visitor's.
    g.session = None
    return clear_session_cookie(make_response(page("forgotten.html")))


def _refused(
    session: Session, status: int, errors: dict[str, str], confirmed: bool
) -> ResponseReturnValue:
    """The account page again, each reason beside its field; only the box stays ticked."""
    return account_view(
        session,
        status,
        forget_errors=FormErrors(errors, prefix="forget-"),
        forget_confirmed=confirmed,
    )
