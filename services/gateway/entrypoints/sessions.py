"""Who is calling the gateway: the session behind the cookie, its CSRF token, and the
identity passed on to the services. Shared by the JSON routes and the pages."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any, TypeVar

from flask import current_app, g, request
from werkzeug.wrappers import Response

from services.gateway.adapters.accounts_store import Session
from services.gateway.bootstrap import Gateway
from services.gateway.domain.accounts import Account, check_password, normalised_email
from services.gateway.entrypoints.second_factor_gate import needs_second_factor, pass_second_factor
from shared.web.identity import ForbiddenError, Identity, UnauthorizedError

COOKIE = "cnnect_session"  # the development name; session_cookie() is the one in use
# In production the `__Host-` prefix makes the browser keep the cookie only if it is Secure,
# for Path=/ and without Domain: a sibling subdomain or an http page cannot plant or
# overwrite it. Browsers refuse such a cookie over http, hence the plain name in development.
HOST_PREFIX = "__Host-"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_DAYS = 14
STAFF_ROLES = ("staff", "admin")
SIGNIN_WINDOW = timedelta(minutes=15)
Answer = TypeVar("Answer", bound=Response)


def gateway() -> Gateway:
    """The gateway wiring of the running app."""
    wired: Gateway = current_app.extensions["cnnect.gateway"]
    return wired


def cookie_name(name: str, production: bool) -> str:
    """The name a cookie of ours has: `__Host-<name>` in production, `name` in development."""
    return f"{HOST_PREFIX}{name}" if production else name


def session_cookie() -> str:
    """The session cookie's name in the running gateway."""
    return cookie_name(COOKIE, gateway().settings.production)


def current_session() -> Session | None:
    """The caller's live session, if the cookie names one."""
    if "session" not in g:
        token = request.cookies.get(session_cookie())
        g.session = gateway().accounts.session(token, gateway().clock.now()) if token else None
    session: Session | None = g.session
    return session


def signed_in() -> Session:
    """The caller's session (401 without one); changes must carry its CSRF token (403)."""
    session = current_session()
    if session is None:
        raise UnauthorizedError("sign in first")
    # Every state-changing request made with the session cookie carries the session's CSRF
    # token: another site can make the browser send the cookie, never read the token.
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
        if not hmac.compare_digest(sent, session.csrf_token):
            raise ForbiddenError("missing or wrong CSRF token")
    return session


def staff_signed_in() -> Session:
    """The caller's session, which must be a staff or admin account (403 otherwise)."""
    session = signed_in()
    if session.account.role not in STAFF_ROLES:
        raise ForbiddenError("staff only")
    return session


def identity_of(session: Session) -> Identity:
    """The identity the services see for `session`."""
    return Identity(session.account.subject, session.account.role)


def caller_identity() -> Identity | None:
    """The signed-in caller's identity (CSRF-checked on changes), or None for a visitor."""
    return identity_of(signed_in()) if current_session() is not None else None


def account_json(session: Session) -> dict[str, Any]:
    """What the JSON API tells a signed-in caller about themselves."""
    account = session.account
    return {
        "account_id": account.account_id,
        "email": account.email,
        "role": account.role,
        "csrf_token": session.csrf_token,
    }


def set_site_cookie(
    response: Response, name: str, value: str, samesite: str, max_age: int | None = None
) -> None:
    """Give the browser one of our site-wide cookies: HttpOnly, path `/`, and Secure in
    production (as a `__Host-` name requires)."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite=samesite,
        path="/",
        secure=gateway().settings.production,
        max_age=max_age,
    )


def set_session_cookie(response: Answer, token: str) -> Answer:
    """Give the browser the session cookie (HttpOnly, SameSite=Lax)."""
    set_site_cookie(response, session_cookie(), token, "Lax", SESSION_DAYS * 24 * 3600)
    return response


def clear_session_cookie(response: Answer) -> Answer:
    """Tell the browser to forget the session cookie (as it was set: Secure in production,
    or a `__Host-` cookie would not be replaced)."""
    response.delete_cookie(
        session_cookie(), path="/", secure=gateway().settings.production, httponly=True
    )
    return response


def sign_up(email: str, password: str) -> tuple[str, Session]:
    """Register a customer (R26) and open their first session."""
    wired = gateway()
    email = normalised_email(email)
    account = wired.accounts.create(email, check_password(password, email), "customer")
    return wired.accounts.open_session(account, wired.clock.now(), **_client())


def signin_limits(email: str) -> list[tuple[str, int]]:
    """The sign-in attempt limits: per e-mail (guessing one password or code) and, looser,
    per client address (many accounts)."""
    limit = gateway().signin_limit
    return [(f"email:{email}", limit), (f"addr:{request.remote_addr}", limit * 20)]


def check_credentials(email: str, password: str) -> Account:
    """The account whose password this is (401 otherwise); attempts are limited per e-mail
    and per client address. No session yet: staff and admins give a code next (R26)."""
    wired = gateway()
    email = email.strip().lower()
    wired.accounts.note_attempt(signin_limits(email), wired.clock.now(), SIGNIN_WINDOW)
    account = wired.accounts.authenticate(email, password)
    if account is None:
        raise UnauthorizedError("wrong e-mail or password")
    return account


def sign_in(email: str, password: str, code: str | None = None) -> tuple[str, Session]:
    """Open a session; a staff or admin account also gives the code of its second factor
    (R26), or gets no session."""
    account = check_credentials(email, password)
    if needs_second_factor(account):
        limits = signin_limits(account.email)
        pass_second_factor(gateway(), account, code, limits, SIGNIN_WINDOW)
    return open_session_for(account)


def open_session_for(account: Account) -> tuple[str, Session]:
    """A new session of `account` (whose sign-in is complete), noting where it comes from."""
    wired = gateway()
    token, session = wired.accounts.open_session(account, wired.clock.now(), **_client())
    # From here on this request is the new session's: a page it renders shows the person
    # signed in (its cookie reaches the browser only with this answer).
    g.session = session
    return token, session


def _client() -> dict[str, str]:
    """Where a new session comes from, for the account page's list of sessions."""
    return {
        "user_agent": request.headers.get("User-Agent", ""),
        "client_address": request.remote_addr or "",
    }


def sign_out() -> None:
    """Revoke the caller's session, so a copied cookie stops working too."""
    signed_in()
    wired = gateway()
    wired.accounts.revoke(request.cookies.get(session_cookie(), ""), wired.clock.now())
