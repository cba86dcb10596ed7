"""Forgetting a customer (issue 21), the one way both the admin's page and the customer's own
account page use: the legal hold asked of orders and billing, then one gateway transaction
(key destroyed, account closed, personal rows deleted), then messaging told, which publishes
`CustomerForgotten` to every service. Forgetting again only retries that announcement."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from services.gateway.adapters.account_mail import GATEWAY_IDENTITY
from services.gateway.adapters.forgotten_store import Forgotten, ForgottenCustomers
from services.gateway.adapters.upstream import ServiceClient, ServiceUnavailableError
from services.gateway.bootstrap import Gateway
from services.gateway.domain.forgetting import Hold, legal_holds
from services.gateway.entrypoints.pages.vocabulary import STATUS_WORDS
from shared.domain_errors import NotFoundError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Forgetting:
    """What came of a request to forget: the orders holding it back (nothing changed then),
    or the forgetting, and whether the other services have been told yet."""

    holds: list[Hold] = field(default_factory=list)
    forgotten: Forgotten | None = None

    @property
    def done(self) -> bool:
        """The customer is forgotten (whatever the announcement)."""
        return self.forgotten is not None


def forgotten_customers(wired: Gateway) -> ForgottenCustomers:
    """The gateway's record of forgotten customers."""
    if wired.keyring is None:
        raise RuntimeError("this gateway was wired without its keyring")
    return ForgottenCustomers(wired.accounts, wired.keyring)


def _client(wired: Gateway) -> ServiceClient:
    return ServiceClient(wired.services, wired.settings.identity_secret)


def holds_of(wired: Gateway, customer_id: str) -> list[Hold]:
    """The customer's orders still open or with money open (ServiceUnavailableError when
    orders or billing cannot say: nobody is forgotten on a guess)."""
    client = _client(wired)
    lists = {}
    for service, path, key in (
        ("orders", f"/customers/{customer_id}/open-orders", "orders"),
        ("billing", f"/customers/{customer_id}/open-money", "billings"),
    ):
        answer = client.get(service, path, GATEWAY_IDENTITY)
        if not answer.ok or not isinstance(answer.body, dict):
            log.warning(
                "%s did not list %s's open %s: %s", service, customer_id, key, answer.status
            )
            raise ServiceUnavailableError(service)
        lists[key] = list(answer.body.get(key) or [])
    return legal_holds(lists["orders"], lists["billings"], STATUS_WORDS)


def forget_customer(wired: Gateway, customer_id: str) -> Forgetting:
    """Forget the customer unless an order holds them back; announce it (again, if it is
    still pending) and wipe the destroyed key's old row versions from the table."""
    record = forgotten_customers(wired)
    if not record.is_customer(customer_id):
        raise NotFoundError(f"no customer {customer_id}")
    forgotten = record.of(customer_id)
    if forgotten is None:
        holds = holds_of(wired, customer_id)
        if holds:
            return Forgetting(holds=holds)
        forgotten = record.forget(customer_id, wired.clock.now())
    if not forgotten.announced and announce(wired, customer_id):
        record.announced(customer_id, wired.clock.now())
        forgotten = record.of(customer_id) or forgotten
    try:
        record.keyring.vacuum()
    except Exception:  # the forgetting stands; the next one vacuums again
        log.warning("the key table could not be vacuumed after forgetting %s", customer_id)
    return Forgetting(forgotten=forgotten)


def announce(wired: Gateway, customer_id: str) -> bool:
    """Ask messaging to record `CustomerForgotten` (idempotent); False if it did not."""
    try:
        answer = _client(wired).call(
            "messaging", "POST", f"/customers/{customer_id}/forgotten", GATEWAY_IDENTITY
        )
    except ServiceUnavailableError:
        log.warning("messaging did not answer the forgetting of %s; it stays pending", customer_id)
        return False
    if not answer.ok:
        log.warning("messaging refused the forgetting of %s: %s", customer_id, answer.message)
    return answer.ok
