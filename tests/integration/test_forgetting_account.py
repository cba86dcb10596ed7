"""Forgetting a customer in the gateway's database (issue 21): one transaction leaves no row
of any gateway table holding their e-mail or address, destroys their data key, closes the
account for good, and leaves other customers as they were."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.gateway.adapters.account_tokens import VERIFY_EMAIL, AccountTokens
from services.gateway.adapters.forgotten_store import ForgottenCustomers
from services.gateway.adapters.saved_addresses import SavedAddresses
from services.gateway.bootstrap import Gateway
from services.gateway.domain.forgetting import placeholder_email
from shared.personal.sealing import FORGOTTEN
from tests.support.infra import Infra
from tests.support.standalone_gateway import standalone_gateway

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
PASSWORD = "a long enough password 9"
ADDRESS = {
    "name": "Ingrid Forgetme",
    "line1": "77 Raderagatan",
    "line2": "",
    "city": "Glomstad",
    "postal_code": "99 887",
    "country": "SE",
    "phone": "+46 70 555 0199",
}


@pytest.fixture
def gateway(infra: Infra) -> Iterator[Gateway]:
    """A gateway of this test's own."""
    with standalone_gateway(infra) as wired:
        yield wired


def _every_row(gateway: Gateway) -> list[str]:
    """Every row of every table of the gateway's database, as text."""
    tables = gateway.accounts.store.query(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    rows = []
    for table in tables:
        name = table["tablename"]
        found = gateway.accounts.store.query(f'SELECT * FROM "{name}"')
        rows += [f"{name}: {row}" for row in found]
    return rows


OTHER_ADDRESS = {**ADDRESS, "name": "Olle Stays", "line1": "3 Kvarvarandevagen", "phone": ""}


def _customer_with_everything(
    gateway: Gateway, email: str, address: dict[str, str] = ADDRESS, client: str = "10.0.0.9"
) -> str:
    """A customer with an address, a session, an account link and a failed sign-in."""
    account = gateway.accounts.create(email, PASSWORD, "customer")
    SavedAddresses(gateway.accounts.store).add(account.account_id, address, NOW)
    gateway.accounts.open_session(account, NOW, user_agent="Firefox", client_address=client)
    AccountTokens(gateway.accounts.store).issue(account.account_id, VERIFY_EMAIL, NOW)
    gateway.accounts.note_attempt([(f"email:{email}", 10)], NOW, NOW - NOW.replace(year=2025))
    gateway.personal.seal(account.account_id, ADDRESS["line1"])  # their key exists
    return account.account_id


@pytest.mark.rule("R26")
def test_a_forgotten_customer_leaves_no_trace_in_any_gateway_table(gateway: Gateway) -> None:
    email, other_email = "ingrid.forgetme@example.com", "olle.stays@example.com"
    customer = _customer_with_everything(gateway, email)
    other = _customer_with_everything(gateway, other_email, OTHER_ADDRESS, "10.0.0.7")
    sealed = gateway.personal.seal(customer, "Ingrid's secret note")
    assert any(email in row for row in _every_row(gateway))

    record = ForgottenCustomers(gateway.accounts, gateway.keyring)  # type: ignore[arg-type]
    forgotten = record.forget(customer, NOW)

    rows = _every_row(gateway)
    for secret in (email, ADDRESS["name"], ADDRESS["line1"], ADDRESS["phone"], "10.0.0.9"):
        assert not [row for row in rows if secret in row], secret
    key = gateway.accounts.store.query(
        "SELECT data_key, forgotten_at FROM customer_keys WHERE customer_id = %s", (customer,)
    )
    assert key[0]["data_key"] is None and key[0]["forgotten_at"] is not None
    assert gateway.personal.reveal(sealed) == FORGOTTEN
    assert gateway.accounts.authenticate(email, PASSWORD) is None
    assert gateway.accounts.authenticate(placeholder_email(customer), PASSWORD) is None
    assert not gateway.accounts.password_matches(customer, PASSWORD)
    assert gateway.accounts.emails([customer]) == {customer: FORGOTTEN}
    assert gateway.accounts.customers_matching("forgotten") == []  # staff search finds nobody
    assert forgotten.forgotten_at == NOW and not forgotten.announced
    # The other customer keeps everything.
    assert gateway.accounts.authenticate(other_email, PASSWORD) is not None
    assert len(SavedAddresses(gateway.accounts.store).of(other)) == 1
    assert gateway.personal.is_readable(other)
    assert any(f"email:{other_email}" in row for row in rows)


def test_forgetting_twice_keeps_the_first_record_and_the_announcement(gateway: Gateway) -> None:
    customer = _customer_with_everything(gateway, "twice.forgotten@example.com")
    record = ForgottenCustomers(gateway.accounts, gateway.keyring)  # type: ignore[arg-type]
    first = record.forget(customer, NOW)
    record.announced(customer, NOW)
    again = record.forget(customer, NOW.replace(hour=11))
    assert again.forgotten_at == first.forgotten_at and again.announced
    assert record.among([customer, "cus-nobody"]) == {customer}
    gateway.keyring.vacuum()  # type: ignore[union-attr]
