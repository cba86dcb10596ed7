"""The second step of a staff or admin sign-in (R26), shared by the JSON API and the pages.

A right password alone opens no staff session. The JSON API wants the code in the same
request. The pages hand out a pending cookie instead: encrypted and signed (Fernet), HttpOnly,
SameSite=Strict, five minutes from the password, naming the account (and, while a second
factor is being set up, the secret shown on the page); /signin/second-factor then asks for
the code."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

from cryptography.fernet import InvalidToken
from werkzeug.wrappers import Response

from services.gateway.adapters.accounts_store import TooManyAttemptsError
from services.gateway.adapters.second_factor_store import SecondFactorStore, sealing_key
from services.gateway.bootstrap import Gateway
from services.gateway.domain.accounts import Account
from services.gateway.domain.second_factor import SECOND_FACTOR_ROLES, new_secret, provisioning_uri
from shared.domain_errors import NotFoundError, ValidationError
from shared.web.identity import UnauthorizedError

PENDING_COOKIE = "cnnect_second_factor"
PENDING_S = 300


class SecondFactorRequiredError(UnauthorizedError):
    """A staff or admin sign-in came without its code."""

    code = "second_factor_required"


class SecondFactorSetupRequiredError(UnauthorizedError):
    """A staff or admin account without a second factor signs in through the API."""

    code = "second_factor_setup_required"


class WrongSecondFactorError(UnauthorizedError):
    """The code is not the current one, or was used already."""

    code = "second_factor_wrong"


SECOND_FACTOR_REFUSALS = (
    SecondFactorRequiredError,
    SecondFactorSetupRequiredError,
    WrongSecondFactorError,
)
WRONG_CODE = "that code is wrong or was used already; type the current code from your app"


def needs_second_factor(account: Account) -> bool:
    """Whether `account` gives a code after its password (staff and admins)."""
    return account.role in SECOND_FACTOR_ROLES


def second_factors(wired: Gateway) -> SecondFactorStore:
    """The second factors of `wired`'s accounts."""
    return SecondFactorStore(wired.accounts, wired.settings.identity_secret)


def pass_second_factor(
    wired: Gateway,
    account: Account,
    code: str | None,
    limits: list[tuple[str, int]],
    window: timedelta,
) -> None:
    """Return only if `code` is the account's current code or an unused recovery code; a
    wrong one counts as a sign-in attempt, and past the limit no code is looked at (429)."""
    factors, now = second_factors(wired), wired.clock.now()
    if factors.attempts_exceeded(limits, now, window):
        raise TooManyAttemptsError("too many sign-in attempts; wait a few minutes")
    if factors.enrolment(account.account_id) is None:
        raise SecondFactorSetupRequiredError(
            "this account has no second factor yet; sign in once on the sign-in page to set "
            "it up, or ask an operator to enrol it"
        )
    if not code:
        raise SecondFactorRequiredError(
            "staff and admin accounts also give the 6-digit code from their authenticator "
            "app, or a recovery code, in the field `code`"
        )
    if not factors.check(account.account_id, code, now):
        wired.accounts.note_attempt(limits, now, window)  # 429 once past the limit
        raise WrongSecondFactorError(WRONG_CODE)


def enrol_now(wired: Gateway, account: Account) -> list[str]:
    """Set up `account`'s second factor for an operator (`create-user --enrol-second-factor`):
    the lines to print, the otpauth:// URI to scan (scripts compute codes from its secret)
    and the recovery codes. A customer account has none (400)."""
    if not needs_second_factor(account):
        raise ValidationError("only staff and admin accounts have a second factor")
    secret = new_secret()
    codes = second_factors(wired).enrol(account.account_id, secret, None) or []
    return [
        f"second factor: {provisioning_uri(secret, account.email)}",
        f"second factor secret: {secret}",
        *(f"recovery code: {code}" for code in codes),
    ]


def enrol_again(wired: Gateway, email: str) -> list[str]:
    """Give the staff account `email` a new second factor from the command line (the demo's
    robot, or an admin who lost their phone with no other admin to reset it): its sessions
    end, and the lines to print are as `enrol_now`'s."""
    members = [m for m in second_factors(wired).staff_members() if m.account.email == email]
    if not members:
        raise NotFoundError(f"no staff or admin account {email}")
    account = members[0].account
    second_factors(wired).reset(account.account_id, wired.clock.now())
    return enrol_now(wired, account)


@dataclass(frozen=True)
class Pending:
    """A sign-in waiting for its second factor: whose, where it goes next, when the password
    was given, and the secret being set up (until the code confirms it)."""

    account_id: str
    email: str
    role: str
    next: str
    issued_at: int  # Unix seconds of the password step: the five minutes count from it
    candidate: str = ""

    @property
    def account(self) -> Account:
        """The account signing in."""
        return Account(self.account_id, self.email, self.role)


def pending_for(account: Account, next_page: str, now: datetime) -> Pending:
    """A new pending sign-in of `account` (its password was right at `now`)."""
    return Pending(account.account_id, account.email, account.role, next_page, int(now.timestamp()))


def read_pending(wired: Gateway, value: str) -> Pending | None:
    """The pending sign-in of the cookie `value`; None if absent, forged or too old."""
    if not value:
        return None
    box = sealing_key(wired.settings.identity_secret, "second-factor-pending")
    now = int(wired.clock.now().timestamp())
    try:
        payload = box.decrypt_at_time(value.encode(), PENDING_S, now)
    except InvalidToken:
        return None
    known = {f.name for f in fields(Pending)}
    # A cookie sealed by an older release may carry other keys: only ours are read.
    return Pending(**{k: v for k, v in json.loads(payload).items() if k in known})


def with_pending(wired: Gateway, response: Response, pending: Pending) -> Response:
    """`response`, giving the browser the pending cookie."""
    box = sealing_key(wired.settings.identity_secret, "second-factor-pending")
    # Sealed at the password's time, so changing it (a candidate secret) never extends it.
    token = box.encrypt_at_time(json.dumps(asdict(pending)).encode(), pending.issued_at)
    response.set_cookie(
        PENDING_COOKIE,
        token.decode(),
        max_age=PENDING_S,
        httponly=True,
        # Strict: no other site can make the browser send it, so the code forms need no
        # other CSRF token.
        samesite="Strict",
        secure=wired.settings.production,
        path="/signin",
    )
    return response


def without_pending(response: Response) -> Response:
    """`response`, dropping the pending cookie."""
    response.delete_cookie(PENDING_COOKIE, path="/signin")
    return response
