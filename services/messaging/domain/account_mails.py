"""The e-mails about an account itself (pure, no I/O): confirming an address, resetting a
forgotten password, confirming a new address and warning the old one (R26).

The gateway owns accounts and the single-use tokens; it asks for one of these e-mails with the
token, and the words and the link are written here, like every other customer e-mail. The
notification id is the gateway's (one per token), so asking twice queues the e-mail once."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from services.messaging.domain.notifications import Notification

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
CONFIRM_NEW_EMAIL = "confirm_new_email"
EMAIL_CHANGE_ASKED = "email_change_asked"
ACCOUNT_MAIL_KINDS = (VERIFY_EMAIL, RESET_PASSWORD, CONFIRM_NEW_EMAIL, EMAIL_CHANGE_ASKED)
# The kinds whose e-mail carries a link (and so needs the gateway's token).
LINKED_KINDS = (VERIFY_EMAIL, RESET_PASSWORD, CONFIRM_NEW_EMAIL)

# Where each link opens on the customer's site (the gateway's pages).
_PATHS = {
    VERIFY_EMAIL: "/account/verify",
    RESET_PASSWORD: "/account/reset-password",
    CONFIRM_NEW_EMAIL: "/account/email/confirm",
}
_GREETING = "Hello,"
_SIGNATURE = "The CNNECT team"


@dataclass(frozen=True)
class AccountMailRequest:
    """What the gateway asks for: which e-mail, to whom, and its token (if it has a link)."""

    notification_id: str
    customer_id: str
    to: str
    kind: str
    token: str = ""
    new_email: str = ""


def account_mail(request: AccountMailRequest, site_url: str) -> Notification:
    """The e-mail `request` asks for, its link on `site_url`."""
    link = ""
    if request.kind in _PATHS:
        link = f"{site_url.rstrip('/')}{_PATHS[request.kind]}?token={quote(request.token, safe='')}"
    new_email = _one_line(request.new_email)
    subject, *lines = (line.format(link=link, new_email=new_email) for line in _WORDS[request.kind])
    body = "\n".join([_GREETING, "", *lines, "", _SIGNATURE]) + "\n"
    return Notification(
        notification_id=request.notification_id,
        customer_id=request.customer_id,
        kind=request.kind,
        subject=subject,
        body=body,
    )


# Each kind's subject and lines: `{link}` and `{new_email}` are filled in.
_WORDS: dict[str, tuple[str, ...]] = {
    VERIFY_EMAIL: (
        "Please confirm your e-mail address",
        "Thank you for creating your CNNECT account.",
        "Please confirm that this e-mail address is yours by opening this link",
        "(it works for 24 hours, once):",
        "",
        "{link}",
        "",
        "If you did not create an account, you can ignore this e-mail.",
    ),
    RESET_PASSWORD: (
        "Choose a new password",
        "Someone (we hope you) asked to choose a new password for your CNNECT account.",
        "Open this link to choose one (it works for 1 hour, once):",
        "",
        "{link}",
        "",
        "Choosing a new password signs you out everywhere else.",
        "If you did not ask, ignore this e-mail: your password stays as it is.",
    ),
    CONFIRM_NEW_EMAIL: (
        "Please confirm your new e-mail address",
        "You asked to use {new_email} for your CNNECT account.",
        "Open this link to confirm it (it works for 24 hours, once):",
        "",
        "{link}",
        "",
        "Until you do, we keep writing to your previous address.",
        "If you did not ask for this, you can ignore this e-mail.",
    ),
    EMAIL_CHANGE_ASKED: (
        "A change of your e-mail address was asked",
        "Someone signed in to your CNNECT account asked to use {new_email} instead of",
        "this address. Nothing changes unless the new address is confirmed.",
        "",
        "If it was not you, sign in and choose a new password at once",
        '(or use "Forgot your password?" on the sign-in page).',
    ),
}


def _one_line(text: str) -> str:
    """A single line (no CR/LF from the address the gateway passed)."""
    return " ".join(text.split())
