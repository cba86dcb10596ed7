"""Forgetting a customer in the gateway's database (issue 21): one transaction destroys their
data key, closes the account and deletes every personal row the gateway keeps of them, and
records the forgetting; the announcement to the other services is marked once it is made."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.gateway.adapters.accounts_store import AccountStore
from services.gateway.adapters.session_cache import REVOKED_CHANNEL
from services.gateway.domain.forgetting import placeholder_email
from shared.events.store import Transaction
from shared.personal.postgres_keyring import PostgresKeyring

SCHEMA = """
CREATE TABLE IF NOT EXISTS forgotten_customers (
    customer_id  text PRIMARY KEY,
    forgotten_at timestamptz NOT NULL,
    -- When messaging recorded CustomerForgotten (NULL: the announcement is still pending).
    announced_at timestamptz
);
"""
# A password hash no password matches (argon2 refuses it as malformed): no sign-in, ever.
CLOSED_PASSWORD = "!forgotten"


@dataclass(frozen=True)
class Forgotten:
    """A forgotten customer: when, and whether the other services were told."""

    customer_id: str
    forgotten_at: datetime
    announced_at: datetime | None

    @property
    def announced(self) -> bool:
        """Messaging recorded the forgetting (and relays it to every service)."""
        return self.announced_at is not None


class ForgottenCustomers:
    """The record of forgotten customers, and the transaction that forgets one."""

    def __init__(self, accounts: AccountStore, keyring: PostgresKeyring) -> None:
        self.accounts = accounts
        self.keyring = keyring

    def is_customer(self, customer_id: str) -> bool:
        """`customer_id` is a customer's account (staff accounts are not forgotten here)."""
        rows = self.accounts.store.query(
            "SELECT 1 FROM accounts WHERE account_id = %s AND role = 'customer'", (customer_id,)
        )
        return bool(rows)

    def of(self, customer_id: str) -> Forgotten | None:
        """The customer's forgetting, if they were forgotten."""
        rows = self.accounts.store.query(
            "SELECT customer_id, forgotten_at, announced_at FROM forgotten_customers "
            "WHERE customer_id = %s",
            (customer_id,),
        )
        return Forgotten(**rows[0]) if rows else None

    def among(self, customer_ids: list[str]) -> set[str]:
        """Which of `customer_ids` were forgotten (one query for a page)."""
        if not customer_ids:
            return set()
        rows = self.accounts.store.query(
            "SELECT customer_id FROM forgotten_customers WHERE customer_id = ANY(%s)",
            (customer_ids,),
        )
        return {row["customer_id"] for row in rows}

    def forget(self, customer_id: str, now: datetime) -> Forgotten:
        """In one transaction: destroy the key, close the account, delete its personal rows,
        end its sessions (every gateway process told) and record the forgetting. Forgetting
        again changes nothing and returns the first record."""

        def work(tx: Transaction) -> tuple[Forgotten, list[str]]:
            conn = tx.conn
            self.keyring.forget(customer_id, conn)
            row = conn.execute(
                "SELECT email FROM accounts WHERE account_id = %s FOR UPDATE", (customer_id,)
            ).fetchone()
            digests: list[str] = []
            if row is not None:
                digests = _erase_account(conn, customer_id, str(row["email"]))
            conn.execute(
                "INSERT INTO forgotten_customers (customer_id, forgotten_at) VALUES (%s, %s) "
                "ON CONFLICT (customer_id) DO NOTHING",
                (customer_id, now),
            )
            kept = conn.execute(
                "SELECT customer_id, forgotten_at, announced_at FROM forgotten_customers "
                "WHERE customer_id = %s",
                (customer_id,),
            ).fetchone()
            assert kept is not None  # inserted or kept just above, in this transaction
            return Forgotten(**kept), digests

        forgotten, digests = self.accounts.store.transact(work)
        if self.accounts.cache is not None:
            for digest in digests:
                self.accounts.cache.forget(digest)
        return forgotten

    def announced(self, customer_id: str, at: datetime) -> None:
        """Messaging has recorded the forgetting."""
        self.accounts.store.transact(
            lambda tx: tx.conn.execute(
                "UPDATE forgotten_customers SET announced_at = %s "
                "WHERE customer_id = %s AND announced_at IS NULL",
                (at, customer_id),
            )
        )


def _erase_account(conn: Any, customer_id: str, email: str) -> list[str]:
    """Every personal row of the account in the gateway's tables, gone or blanked; the
    digests of the sessions that ended (for the other processes' caches)."""
    sessions = conn.execute(
        "DELETE FROM sessions WHERE account_id = %s RETURNING token_hash", (customer_id,)
    ).fetchall()
    digests = [str(row["token_hash"]) for row in sessions]
    for digest in digests:
        conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, digest))
    for table in ("saved_addresses", "account_tokens", "recovery_codes"):
        conn.execute(f"DELETE FROM {table} WHERE account_id = %s", (customer_id,))
    # Sign-in attempts are keyed by the e-mail typed (and by client address, not a person's).
    conn.execute("DELETE FROM signin_attempts WHERE key = %s", (f"email:{email}",))
    # The row stays (orders, billings and messages name the id), without anything personal:
    # the e-mail a placeholder that keeps it unique, no password opens it, no second factor.
    conn.execute(
        "UPDATE accounts SET email = %s, password_hash = %s, display_name = NULL, "
        "totp_secret = NULL, totp_last_step = NULL WHERE account_id = %s",
        (placeholder_email(customer_id), CLOSED_PASSWORD, customer_id),
    )
    return digests
