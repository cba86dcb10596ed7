"""The admins' page of staff accounts (R26): who has a second factor set up, and resetting
one (a lost phone): the member sets it up again at the next sign-in, and their open sessions
end at once. Staff who are not admins get 403."""

from __future__ import annotations

from flask import Blueprint, flash, redirect
from flask.typing import ResponseReturnValue

from services.gateway.adapters.accounts_store import Session
from services.gateway.entrypoints.pages.common import html_errors, page
from services.gateway.entrypoints.second_factor_gate import second_factors
from services.gateway.entrypoints.sessions import gateway, staff_signed_in
from shared.domain_errors import NotFoundError
from shared.web.identity import ForbiddenError

staff_accounts_pages = Blueprint("staff_accounts_pages", __name__)
html_errors(staff_accounts_pages)


def admin_signed_in() -> Session:
    """The caller's session, which must be an admin's (403 for other staff)."""
    session = staff_signed_in()
    if session.account.role != "admin":
        raise ForbiddenError("only admins manage staff accounts")
    return session


@staff_accounts_pages.get("/staff/accounts")
def staff_accounts() -> ResponseReturnValue:
    """Every staff and admin account and its second factor."""
    admin_signed_in()
    return page("staff/accounts.html", members=second_factors(gateway()).staff_members())


@staff_accounts_pages.post("/staff/accounts/<account_id>/second-factor/reset")
def reset_second_factor(account_id: str) -> ResponseReturnValue:
    """Reset a member's second factor and end their sessions."""
    admin_signed_in()
    wired = gateway()
    members = {m.account.account_id: m for m in second_factors(wired).staff_members()}
    if account_id not in members or not second_factors(wired).reset(account_id, wired.clock.now()):
        raise NotFoundError(f"no staff account {account_id}")
    email = members[account_id].account.email
    flash(
        f"The second factor of {email} is reset and their sessions have ended: they set up "
        "their authenticator app again at their next sign-in.",
        "success",
    )
    return redirect("/staff/accounts", code=303)
