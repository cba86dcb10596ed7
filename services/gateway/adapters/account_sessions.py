"""An account's live sessions, as its account page lists them, and signing one of them out
(R26). The sessions table and its columns are the accounts store's (accounts_store.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.gateway.adapters.session_cache import REVOKED_CHANNEL, SessionCache
from services.gateway.domain.devices import device_words
from shared.events.store import EventStore, Transaction

MAX_LISTED = 50  # a person has a handful; a page of 50 is plenty to sign them out from


@dataclass(frozen=True)
class LiveSession:
    """One signed-in browser of the account."""

    session_id: str
    token_hash: str  # only to tell the caller's own session; never shown
    started_at: datetime
    expires_at: datetime
    device: str  # "Firefox on Windows"
    client_address: str


class ActiveSessions:
    """The live sessions of an account, and signing one out in every gateway process."""

    def __init__(self, store: EventStore, cache: SessionCache | None = None) -> None:
        self.store = store
        self.cache = cache

    def of(self, account_id: str, now: datetime) -> list[LiveSession]:
        """The account's live sessions, the newest first."""
        rows = self.store.query(
            "SELECT session_id, token_hash, created_at, expires_at, user_agent, client_address "
            "FROM sessions WHERE account_id = %s AND revoked_at IS NULL AND expires_at > %s "
            "ORDER BY created_at DESC LIMIT %s",
            (account_id, now, MAX_LISTED),
        )
        return [
            LiveSession(
                str(row["session_id"]),
                row["token_hash"],
                row["created_at"],
                row["expires_at"],
                device_words(row["user_agent"]),
                row["client_address"],
            )
            for row in rows
        ]

    def revoke(self, account_id: str, session_id: str, now: datetime) -> str | None:
        """Sign out the account's live session `session_id`: its token hash, or None when
        the account has no such live session (another person's is none of theirs)."""
        try:
            wanted = uuid.UUID(session_id)
        except ValueError:
            return None

        def work(tx: Transaction) -> str | None:
            row = tx.conn.execute(
                "UPDATE sessions SET revoked_at = %s WHERE session_id = %s AND account_id = %s "
                "AND revoked_at IS NULL AND expires_at > %s RETURNING token_hash",
                (now, wanted, account_id, now),
            ).fetchone()
            if row is None:
                return None
            # Every gateway process drops it from its cache (see session_cache.py).
            tx.conn.execute("SELECT pg_notify(%s, %s)", (REVOKED_CHANNEL, row["token_hash"]))
            return str(row["token_hash"])

        digest = self.store.transact(work)
        if digest is not None and self.cache is not None:
            self.cache.forget(digest)
        return digest
