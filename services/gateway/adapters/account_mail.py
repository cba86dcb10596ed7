"""Asking messaging for the e-mails about an account, and telling it where a customer's
e-mails go (R26). Messaging owns the outbox and the words; the gateway owns the accounts.

The gateway calls as itself: a staff identity of its own, which only these calls use."""

from __future__ import annotations

import logging

from services.gateway.adapters.account_tokens import IssuedToken
from services.gateway.adapters.upstream import ServiceClient, ServiceUnavailableError
from shared.web.identity import Identity

log = logging.getLogger(__name__)

GATEWAY_IDENTITY = Identity("gateway", "staff")


class AccountMail:
    """Messaging's account e-mails and customer addresses, as the gateway calls them."""

    def __init__(self, client: ServiceClient) -> None:
        self.client = client

    def send_link(
        self, kind: str, account_id: str, to: str, issued: IssuedToken, new_email: str = ""
    ) -> bool:
        """Queue the e-mail carrying `issued`'s link to `to`; False when messaging did not
        take it (down, or refusing): the caller offers to send it again."""
        return self._queue(
            {
                "notification_id": issued.token_id,
                "customer_id": account_id,
                "to": to,
                "kind": kind,
                "token": issued.token,
                "new_email": new_email,
            }
        )

    def send_change_notice(
        self, account_id: str, old_email: str, new_email: str, issued: IssuedToken
    ) -> bool:
        """Queue the notice to the old address that a change to `new_email` was asked."""
        return self._queue(
            {
                # One notice per asked change: derived from the new address's link id.
                "notification_id": f"{issued.token_id}-notice",
                "customer_id": account_id,
                "to": old_email,
                "kind": "email_change_asked",
                "new_email": new_email,
            }
        )

    def remember_address(self, account_id: str, email: str) -> bool:
        """Tell messaging where the customer's order e-mails go (at sign-up, and when a new
        address is confirmed); False when messaging did not answer."""
        return self._call("PUT", f"/customers/{account_id}/email", {"email": email})

    def _queue(self, body: dict[str, str]) -> bool:
        # An empty field is left out: messaging checks each one that is given.
        return self._call("POST", "/account-mails", {k: v for k, v in body.items() if v})

    def _call(self, method: str, path: str, body: dict[str, str]) -> bool:
        try:
            answer = self.client.call("messaging", method, path, GATEWAY_IDENTITY, json=body)
        except ServiceUnavailableError:
            log.warning("messaging did not answer %s %s", method, path)
            return False
        if not answer.ok:
            log.warning("messaging refused %s %s: %s", method, path, answer.message)
        return answer.ok
