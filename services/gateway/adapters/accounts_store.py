"""Accounts, sessions and sign-in attempts in the gateway's database.

Passwords are hashed with argon2 (argon2-cffi). A session is a random token; only its SHA-256
is stored, so a copy of the table opens nobody's session, and revoking it (sign-out) makes a
copied cookie worthless."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from services.gateway.adapters.session_cache import REVOKED_CHANNEL, SessionCache
from services.gateway.domain.accounts import Account
from services.gateway.domain.forgetting import PLACEHOLDER_DOMAIN, shown_email
from shared.domain_errors import DomainError, ValidationError
from shared.events.errors import IntegrityError
from shared.events.store import EventStore, Transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    account_id    text PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash  text PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE TABLE IF NOT EXISTS signin_attempts (
    key text NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS signin_attempts_key ON signin_attempts (key, at);
-- The account page lists a person's sessions (R26): a public id to name one by (never the
-- token's hash), and the browser and address it was opened from.
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS session_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS user_agent text NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN IF NOT EXISTS client_address text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX IF NOT EXISTS sessions_session_id ON sessions (session_id);
CREATE INDEX IF NOT EXISTS sessions_account ON sessions (account_id) WHERE revoked_at IS NULL;
"""

SESSION_LIFETIME = timedelta(days=14)
MAX_USER_AGENT = 400  # a browser's User-Agent, cut: only its gist is shown
MAX_CLIENT_ADDRESS = 64
_HASHER = PasswordHasher()


class EmailTakenError(DomainError):
    """Another account has this e-mail address."""

    code = "email_taken"


@dataclass(frozen=True)
class Session:
    """A signed-in session: whose it is and its CSRF token."""

    account: Account
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_digest(token: str) -> str:
    """How a session's cookie token is stored and named in revocation notices."""
    return _digest(token)


class AccountStore:
    """The gateway's accounts and sessions."""

    def __init__(self, store: EventStore, cache: SessionCache | None = None) -> None:
        self.store = store
        self.cache = cache  # live sessions in memory (serving processes only)

    def create(self, email: str, password: str, role: str) -> Account:
        """Register an account (R26); the e-mail is unique."""
        prefix = "cus" if role == "customer" else role
        account = Account(f"{prefix}-{uuid.uuid4().hex[:12]}", email, role)
        password_hash = _HASHER.hash(password)
        try:
            self.store.transact(
                lambda tx: tx.conn.execute(
                    "INSERT INTO accounts (account_id, email, password_hash, role) "
                    "VALUES (%s, %s, %s, %s)",
                    (account.account_id, email, password_hash, role),
                )
            )
        except IntegrityError as exc:  # the e-mail is the only thing that can collide
            raise EmailTakenError("an account with this e-mail exists; sign in") from exc
        return account

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account if the password matches (always spending a hash's time)."""
        row = self.store.transact(
            lambda tx: tx.conn.execute(
                "SELECT account_id, email, role, password_hash FROM accounts WHERE email = %s",
                (email,),
            ).fetchone()
        )
        if row is None:
            _HASHER.hash(password)  # the same time as a real check: no account probing
            return None
        try:
            _HASHER.verify(row["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return Account(row["account_id"], row["email"], row["role"])

    def emails(self, account_ids: Sequence[str]) -> dict[str, str]:
        """The e-mail of each of `account_ids` that is an account (one query, R27), as staff
        read it: "forgotten customer" for a forgotten one (issue 21)."""
        rows = self.store.query(
            "SELECT account_id, email FROM accounts WHERE account_id = ANY(%s)",
            (list(account_ids),),
        )
        return {row["account_id"]: shown_email(row["email"]) for row in rows}

    def customers_matching(self, text: str, limit: int = 200) -> list[str]:
        """The customers whose e-mail holds `text` (a staff search, R27)."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.store.query(
            # A forgotten customer's placeholder e-mail is nobody's: a search never finds it.
            "SELECT account_id FROM accounts WHERE role = 'customer' AND email ILIKE %s "
            "AND email NOT LIKE %s ORDER BY account_id LIMIT %s",
            (pattern, f"%@{PLACEHOLDER_DOMAIN}", limit),
        )
        return [row["account_id"] for row in rows]

    def open_session(
        self, account: Account, now: datetime, *, user_agent: str = "", client_address: str = ""
    ) -> tuple[str, Session]:
        """A new session: the cookie token (shown once) and the session; the browser and
        address it came from are kept for the account page's list of sessions."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        self.store.transact(
            lambda tx: tx.conn.execute(
                "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, "
                "user_agent, client_address) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (
                    _digest(token),
                    account.account_id,
                    csrf,
                    now,
                    now + SESSION_LIFETIME,
                    user_agent[:MAX_USER_AGENT],
                    client_address[:MAX_CLIENT_ADDRESS],
                ),
            )
        )
        return token, Session(account, csrf)

    def session(self, token: str, now: datetime) -> Session | None:
        """The live session of a cookie token (None if unknown, revoked or expired)."""
        digest, cache, clock = _digest(token), self.cache, time.monotonic()
        if cache is not None and (cached := cache.get(digest, now, clock)) is not None:
            return cached
        seen = cache.revocations if cache is not None else 0
        row = self.store.transact(
            lambda tx: tx.conn.execute(
                "SELECT a.account_id, a.email, a.role, s.csrf_token, s.expires_at "
                "FROM sessions s JOIN accounts a USING (account_id) WHERE s.token_hash = %s "
                "AND s.revoked_at IS NULL AND s.expires_at > %s",
                (digest, now),
                prepare=True,
            ).fetchone()
        )
        if row is None:
            return None
        session = Session(Account(row["account_id"], row["email"], row["role"]), row["csrf_token"])
        if cache is not None:
            cache.put(digest, session, row["expires_at"], seen, clock)
        return session

    def revoke(self, token: str, now: datetime) -> None:
        """Sign out: the session (and every copy of its cookie) stops working, in every
        gateway process (the notice makes each drop it from its cache)."""
        digest = _digest(token)

        def work(tx: Transaction) -> None:
            tx.conn.execute(
                "UPDATE sessions SET revoked_at = %s WHERE token_hash = %s AND revoked_at IS NULL",
                (now, digest),
            )
            tx.conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, digest))

        self.store.transact(work)
        if self.cache is not None:
            self.cache.forget(digest)

    def revoke_all(self, account_id: str, now: datetime, except_digest: str | None = None) -> int:
        """Sign the account out everywhere (but the session `except_digest`, when given), in
        every gateway process; how many sessions ended."""

        def work(tx: Transaction) -> list[str]:
            rows = tx.conn.execute(
                "UPDATE sessions SET revoked_at = %s WHERE account_id = %s "
                "AND revoked_at IS NULL AND token_hash IS DISTINCT FROM %s RETURNING token_hash",
                (now, account_id, except_digest),
            ).fetchall()
            digests = [str(row["token_hash"]) for row in rows]
            for digest in digests:
                tx.conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, digest))
            return digests

        digests = self.store.transact(work)
        if self.cache is not None:
            for digest in digests:
                self.cache.forget(digest)
        return len(digests)

    def password_matches(self, account_id: str, password: str) -> bool:
        """Whether `password` is the account's (a hash's time either way)."""
        row = self.store.transact(
            lambda tx: tx.conn.execute(
                "SELECT password_hash FROM accounts WHERE account_id = %s", (account_id,)
            ).fetchone()
        )
        if row is None:
            _HASHER.hash(password)
            return False
        try:
            return _HASHER.verify(row["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def set_password(self, account_id: str, password: str) -> None:
        """Keep a new password (already checked with `check_password`) for the account."""
        password_hash = _HASHER.hash(password)
        self.store.transact(
            lambda tx: tx.conn.execute(
                "UPDATE accounts SET password_hash = %s WHERE account_id = %s",
                (password_hash, account_id),
            )
        )

    def note_attempt(self, limits: list[tuple[str, int]], now: datetime, window: timedelta) -> None:
        """Count a sign-in attempt under each key; refuse (429) once a key passes its limit
        within `window`."""

        def work(tx: Transaction) -> bool:
            tx.conn.execute("DELETE FROM signin_attempts WHERE at < %s", (now - window,))
            over = False
            for key, limit in limits:
                tx.conn.execute("INSERT INTO signin_attempts (key, at) VALUES (%s, %s)", (key, now))
                row = tx.conn.execute(
                    "SELECT count(*) AS n FROM signin_attempts WHERE key = %s", (key,)
                ).fetchone()
                over = over or (row is not None and int(row["n"]) > limit)
            return over

        if self.store.transact(work):
            raise TooManyAttemptsError("too many sign-in attempts; wait a few minutes")


class TooManyAttemptsError(ValidationError):
    """Sign-in attempts are rate limited (429)."""

    code = "too_many_attempts"
