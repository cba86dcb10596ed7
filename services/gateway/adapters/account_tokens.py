"""Single-use links about an account (R26): confirming an e-mail address, choosing a new
password, confirming a new address.

The link carries a random token; only its SHA-256 is stored, so a copy of the table opens
nothing. A token is used by one UPDATE ... WHERE used_at IS NULL AND expires_at > now
RETURNING: of two clicks at once exactly one gets the row, and what the link does (verify,
change the address) happens in that same transaction. Using one link voids the account's
other unused links of the same purpose (an older reset mail must not work after a reset)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.gateway.adapters.accounts_store import EmailTakenError
from services.gateway.adapters.session_cache import REVOKED_CHANNEL
from services.gateway.domain.accounts import Account
from shared.events.errors import IntegrityError
from shared.events.store import EventStore, Row, Transaction

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"
CHANGE_EMAIL = "change_email"
LIFETIMES = {
    VERIFY_EMAIL: timedelta(hours=24),
    RESET_PASSWORD: timedelta(hours=1),
    CHANGE_EMAIL: timedelta(hours=24),
}

SCHEMA = """
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS email_verified_at timestamptz;
CREATE TABLE IF NOT EXISTS account_tokens (
    token_hash  text PRIMARY KEY,
    token_id    text NOT NULL UNIQUE,  -- names the e-mail (its notification id), never the link
    account_id  text NOT NULL REFERENCES accounts,
    purpose     text NOT NULL
                CHECK (purpose IN ('verify_email', 'reset_password', 'change_email')),
    new_email   text,                  -- change_email: the address to confirm
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX IF NOT EXISTS account_tokens_unused ON account_tokens (account_id, purpose)
    WHERE used_at IS NULL;
"""

_USE = """
UPDATE account_tokens SET used_at = %(now)s
WHERE token_hash = %(digest)s AND purpose = %(purpose)s
  AND used_at IS NULL AND expires_at > %(now)s
RETURNING account_id, new_email
"""
_VOID_OTHERS = """
UPDATE account_tokens SET used_at = %(now)s
WHERE account_id = %(account)s AND purpose = %(purpose)s AND used_at IS NULL
"""


@dataclass(frozen=True)
class IssuedToken:
    """A new link's token (shown once, in the e-mail) and the id naming its e-mail."""

    token: str
    token_id: str
    expires_at: datetime


@dataclass(frozen=True)
class UsedToken:
    """Whose link was used, and the address it confirmed (a change of address)."""

    account_id: str
    new_email: str | None


def token_digest(token: str) -> str:
    """How a link's token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class AccountTokens:
    """The account links of the gateway's database."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def issue(
        self, account_id: str, purpose: str, now: datetime, new_email: str | None = None
    ) -> IssuedToken:
        """A new link of `purpose` for the account, valid for its purpose's lifetime."""
        token, token_id = secrets.token_urlsafe(32), str(uuid.uuid4())
        expires_at = now + LIFETIMES[purpose]
        self.store.query(
            "INSERT INTO account_tokens (token_hash, token_id, account_id, purpose, new_email, "
            "created_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (token_digest(token), token_id, account_id, purpose, new_email, now, expires_at),
        )
        return IssuedToken(token, token_id, expires_at)

    def state(self, token: str, purpose: str, now: datetime) -> str:
        """What a link is, without using it: 'valid', 'used', 'expired' or 'unknown'."""
        rows = self.store.query(
            "SELECT used_at, expires_at FROM account_tokens WHERE token_hash = %s AND purpose = %s",
            (token_digest(token), purpose),
        )
        if not rows:
            return "unknown"
        if rows[0]["used_at"] is not None:
            return "used"
        return "valid" if rows[0]["expires_at"] > now else "expired"

    def owner(self, token: str) -> str | None:
        """The account a link belongs to, whatever its state (nothing is used)."""
        rows = self.store.query(
            "SELECT account_id FROM account_tokens WHERE token_hash = %s", (token_digest(token),)
        )
        return str(rows[0]["account_id"]) if rows else None

    def new_email_of(self, token: str) -> str | None:
        """The address a change-of-address link confirms (shown before it is used)."""
        rows = self.store.query(
            "SELECT new_email FROM account_tokens WHERE token_hash = %s", (token_digest(token),)
        )
        return str(rows[0]["new_email"]) if rows and rows[0]["new_email"] else None

    def verify_email(self, token: str, now: datetime) -> UsedToken | None:
        """Use a confirmation link: the account's address is verified (None: no such live
        link)."""
        return self._use_verifying(token, VERIFY_EMAIL, now)

    def take_reset(self, token: str, now: datetime) -> UsedToken | None:
        """Use a password link (the caller then keeps the new password); it also proves the
        address is the person's, so the address counts as verified."""
        return self._use_verifying(token, RESET_PASSWORD, now)

    def _use_verifying(self, token: str, purpose: str, now: datetime) -> UsedToken | None:
        """Use a live link of `purpose` and count the account's address as verified."""

        def work(tx: Transaction) -> UsedToken | None:
            used = _use(tx, token, purpose, now)
            if used is not None:
                _mark_verified(tx, used.account_id, now)
            return used

        return self.store.transact(work)

    def change_email(self, token: str, now: datetime) -> UsedToken | None:
        """Use a new address's link: the account's e-mail becomes it, verified. An address
        another account took meanwhile is refused (EmailTakenError) and the link stays
        unused."""

        def work(tx: Transaction) -> UsedToken | None:
            used = _use(tx, token, CHANGE_EMAIL, now)
            if used is None or used.new_email is None:
                return None
            tx.conn.execute(
                "UPDATE accounts SET email = %s, email_verified_at = %s WHERE account_id = %s",
                (used.new_email, now, used.account_id),
            )
            # Gateway processes keep sessions (with the address) in memory: the notice makes
            # each read the account again, so the new address shows at once everywhere.
            tx.conn.execute(
                "SELECT pg_notify(%s, token_hash) FROM sessions WHERE account_id = %s "
                "AND revoked_at IS NULL",
                (REVOKED_CHANNEL, used.account_id),
            )
            return used

        try:
            return self.store.transact(work)
        except IntegrityError as exc:  # the address is the only thing that can collide
            raise EmailTakenError("another account uses this e-mail address") from exc

    def pending_change(self, account_id: str, now: datetime) -> str | None:
        """The new address the account asked for and has not confirmed yet, if any."""
        rows = self.store.query(
            "SELECT new_email FROM account_tokens WHERE account_id = %s AND purpose = %s "
            "AND used_at IS NULL AND expires_at > %s ORDER BY created_at DESC LIMIT 1",
            (account_id, CHANGE_EMAIL, now),
        )
        return str(rows[0]["new_email"]) if rows else None

    def account(self, account_id: str) -> Account | None:
        """The account a used link belongs to (to sign it in, or tell messaging)."""
        rows = self.store.query(
            "SELECT account_id, email, role FROM accounts WHERE account_id = %s", (account_id,)
        )
        return Account(rows[0]["account_id"], rows[0]["email"], rows[0]["role"]) if rows else None

    def account_id_of(self, email: str) -> str | None:
        """The account using `email`, if any (a new address must be free)."""
        rows = self.store.query("SELECT account_id FROM accounts WHERE email = %s", (email,))
        return str(rows[0]["account_id"]) if rows else None

    def is_verified(self, account_id: str) -> bool:
        """Whether the account's current address is confirmed."""
        return account_id not in self.unverified([account_id])

    def unverified(self, account_ids: Sequence[str]) -> set[str]:
        """Which of `account_ids` have an address not confirmed yet (one query)."""
        rows = self.store.query(
            "SELECT account_id FROM accounts WHERE account_id = ANY(%s) "
            "AND email_verified_at IS NULL",
            (list(account_ids),),
        )
        return {str(row["account_id"]) for row in rows}


def _use(tx: Transaction, token: str, purpose: str, now: datetime) -> UsedToken | None:
    params = {"digest": token_digest(token), "purpose": purpose, "now": now}
    row: Row | None = tx.conn.execute(_USE, params).fetchone()
    if row is None:
        return None
    tx.conn.execute(_VOID_OTHERS, {"now": now, "account": row["account_id"], "purpose": purpose})
    return UsedToken(str(row["account_id"]), row["new_email"])


def _mark_verified(tx: Transaction, account_id: str, now: datetime) -> None:
    tx.conn.execute(
        "UPDATE accounts SET email_verified_at = coalesce(email_verified_at, %s) "
        "WHERE account_id = %s",
        (now, account_id),
    )
