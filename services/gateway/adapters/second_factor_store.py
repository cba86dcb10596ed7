"""Staff and admin accounts' second factor in the gateway's database (R26).

The TOTP secret is kept encrypted (Fernet: AES-128-CBC with an HMAC) under a key derived from
the identity secret with HKDF, so a copy of the database alone does not let anyone make codes.
`totp_last_step` is the step of the last code accepted: a code is only accepted for a newer
step, so a code seen once (over a shoulder, in a log) cannot be used again. Recovery codes are
kept as hashes only, each with the moment it was used."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from services.gateway.adapters.accounts_store import AccountStore
from services.gateway.domain.accounts import Account
from services.gateway.domain.second_factor import (
    accepted_step,
    looks_like_totp,
    new_recovery_codes,
    recovery_hash,
)
from shared.domain_errors import DomainError
from shared.events.store import Transaction

SCHEMA = """
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS totp_secret text;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS totp_last_step bigint;
CREATE TABLE IF NOT EXISTS recovery_codes (
    account_id text NOT NULL REFERENCES accounts,
    code_hash  text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (account_id, code_hash)
);
-- Every live staff or admin session passed a second factor: one opened by a password alone
-- (before second factors existed) ends here, at the next start.
UPDATE sessions SET revoked_at = now()
WHERE revoked_at IS NULL AND account_id IN (
    SELECT account_id FROM accounts WHERE role IN ('staff', 'admin') AND totp_secret IS NULL
);
"""


class UnreadableSecretError(DomainError):
    """The stored secret does not decrypt (the identity secret changed): an admin resets it."""

    code = "second_factor_unreadable"


def sealing_key(identity_secret: str, purpose: str) -> Fernet:
    """A Fernet key for `purpose`, derived from the identity secret (HKDF-SHA256), so each use
    has its own key and no new secret has to be deployed."""
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"cnnect-{purpose}".encode()
    ).derive(identity_secret.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@dataclass(frozen=True)
class Enrolment:
    """An account's second factor: its TOTP secret and the step of the last code accepted."""

    secret: str
    last_step: int | None


@dataclass(frozen=True)
class StaffMember:
    """A staff or admin account, whether its second factor is set up, and how many recovery
    codes it has left (for the admins' accounts page)."""

    account: Account
    enrolled: bool
    recovery_codes_left: int


class SecondFactorStore:
    """The second factors of the gateway's staff and admin accounts."""

    def __init__(self, accounts: AccountStore, identity_secret: str) -> None:
        self.accounts = accounts
        self.store = accounts.store
        self._box = sealing_key(identity_secret, "totp-secret")

    def enrolment(self, account_id: str) -> Enrolment | None:
        """The account's second factor, or None when it has none set up yet."""
        row = self.store.transact(
            lambda tx: tx.conn.execute(
                "SELECT totp_secret, totp_last_step FROM accounts WHERE account_id = %s",
                (account_id,),
            ).fetchone()
        )
        if row is None or row["totp_secret"] is None:
            return None
        try:
            secret = self._box.decrypt(row["totp_secret"].encode()).decode()
        except InvalidToken as exc:
            raise UnreadableSecretError(
                "your second factor cannot be read; ask an admin to reset it"
            ) from exc
        return Enrolment(secret, row["totp_last_step"])

    def enrol(self, account_id: str, secret: str, first_step: int | None) -> list[str] | None:
        """Keep `secret` (confirmed by a code of `first_step`, or None when an operator set it
        up) and ten fresh recovery codes, returned to be shown once. None if the account has a
        second factor already (two tabs setting it up at once: the first one wins)."""
        codes = new_recovery_codes()
        sealed = self._box.encrypt(secret.encode()).decode()

        def work(tx: Transaction) -> bool:
            updated = tx.conn.execute(
                "UPDATE accounts SET totp_secret = %s, totp_last_step = %s "
                "WHERE account_id = %s AND totp_secret IS NULL",
                (sealed, first_step, account_id),
            )
            if updated.rowcount != 1:
                return False
            tx.conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))
            for code in codes:
                tx.conn.execute(
                    "INSERT INTO recovery_codes (account_id, code_hash) VALUES (%s, %s)",
                    (account_id, recovery_hash(code)),
                )
            return True

        return codes if self.store.transact(work) else None

    def check(self, account_id: str, code: str, now: datetime) -> bool:
        """Whether `code` passes: a TOTP code of the current step (or one either side) newer
        than the last accepted, or an unused recovery code; either is used up by passing."""
        enrolment = self.enrolment(account_id)
        if enrolment is None:
            return False
        if looks_like_totp(code):
            step = accepted_step(enrolment.secret, code, now, enrolment.last_step)
            return step is not None and self._accept_step(account_id, step)
        return self._use_recovery_code(account_id, code, now)

    def _accept_step(self, account_id: str, step: int) -> bool:
        # In one statement: of two requests with the same code, only one moves the step on.
        updated = self.store.transact(
            lambda tx: (
                tx.conn.execute(
                    "UPDATE accounts SET totp_last_step = %s WHERE account_id = %s "
                    "AND totp_secret IS NOT NULL "
                    "AND (totp_last_step IS NULL OR totp_last_step < %s)",
                    (step, account_id, step),
                ).rowcount
            )
        )
        return bool(updated == 1)

    def _use_recovery_code(self, account_id: str, code: str, now: datetime) -> bool:
        updated = self.store.transact(
            lambda tx: (
                tx.conn.execute(
                    "UPDATE recovery_codes SET used_at = %s "
                    "WHERE account_id = %s AND code_hash = %s AND used_at IS NULL",
                    (now, account_id, recovery_hash(code)),
                ).rowcount
            )
        )
        return bool(updated == 1)

    def reset(self, account_id: str, now: datetime) -> bool:
        """Forget the account's second factor (it sets one up at its next sign-in) and end
        its open sessions in every gateway process. False if it is not a staff account."""

        def work(tx: Transaction) -> bool:
            updated = tx.conn.execute(
                "UPDATE accounts SET totp_secret = NULL, totp_last_step = NULL "
                "WHERE account_id = %s AND role IN ('staff', 'admin')",
                (account_id,),
            )
            tx.conn.execute("DELETE FROM recovery_codes WHERE account_id = %s", (account_id,))
            return bool(updated.rowcount == 1)

        if not self.store.transact(work):
            return False
        self.accounts.revoke_all(account_id, now)
        return True

    def staff_members(self) -> list[StaffMember]:
        """Every staff and admin account, by e-mail."""
        rows = self.store.query(
            "SELECT a.account_id, a.email, a.role, a.totp_secret IS NOT NULL AS enrolled, "
            "(SELECT count(*) FROM recovery_codes r WHERE r.account_id = a.account_id "
            " AND r.used_at IS NULL) AS left "
            "FROM accounts a WHERE a.role IN ('staff', 'admin') ORDER BY a.email",
            (),
        )
        return [
            StaffMember(
                Account(row["account_id"], row["email"], row["role"]),
                bool(row["enrolled"]),
                int(row["left"]),
            )
            for row in rows
        ]

    def attempts_exceeded(
        self, limits: list[tuple[str, int]], now: datetime, window: timedelta
    ) -> bool:
        """Whether a key is already past its sign-in limit (checked before a code is even
        looked at, so guessing stops at the limit; wrong codes are counted with
        AccountStore.note_attempt)."""
        for key, limit in limits:
            rows = self.store.query(
                "SELECT count(*) AS n FROM signin_attempts WHERE key = %s AND at >= %s",
                (key, now - window),
            )
            if rows and int(rows[0]["n"]) > limit:  # as note_attempt counts
                return True
        return False
