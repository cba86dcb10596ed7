"""The account links of the running gateway: its tokens, its mailer, and what sign-up sends
(R26). Shared by the JSON sign-up and the pages."""

from __future__ import annotations

from services.gateway.adapters.account_mail import AccountMail
from services.gateway.adapters.account_tokens import VERIFY_EMAIL, AccountTokens
from services.gateway.adapters.upstream import ServiceClient
from services.gateway.bootstrap import Gateway
from services.gateway.domain.accounts import Account
from services.gateway.entrypoints.sessions import gateway


def tokens(wired: Gateway | None = None) -> AccountTokens:
    """The account links of the gateway's database."""
    return AccountTokens((wired or gateway()).accounts.store)


def mailer(wired: Gateway | None = None) -> AccountMail:
    """Messaging's account e-mails, called as the gateway."""
    wired = wired or gateway()
    return AccountMail(ServiceClient(wired.services, wired.settings.identity_secret))


def mail_verification(account: Account) -> bool:
    """Send `account` a new link confirming its address (24 h); False if it could not go."""
    wired = gateway()
    issued = tokens(wired).issue(account.account_id, VERIFY_EMAIL, wired.clock.now())
    return mailer(wired).send_link(VERIFY_EMAIL, account.account_id, account.email, issued)


def welcome(account: Account) -> bool:
    """What a new customer's sign-up sends on: their address to messaging (where order
    e-mails go) and the link confirming it. False when the link could not be sent now; the
    account exists all the same, and the pages offer to send it again."""
    mailer().remember_address(account.account_id, account.email)
    return mail_verification(account)
