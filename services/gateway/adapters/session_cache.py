"""Live sessions kept in the gateway's memory, so a request does not look its session up in the
database (a round trip on every request, an eighth of the gateway's time).

Sign-out must still end a session at once in every gateway process: revoking one notifies
`REVOKED_CHANNEL` in the revoking transaction, and every process drops it when the notice
comes. The cache only answers while its listening connection is up; when that breaks,
notices may be missed, so it is emptied and bypassed until the connection is back. An entry
is also dropped after `TTL_S`, and a lookup whose read raced a revocation is not kept."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import TYPE_CHECKING

from shared.events.appends import NoticeListener

if TYPE_CHECKING:
    from services.gateway.adapters.accounts_store import Session

REVOKED_CHANNEL = "cnnect_sessions_revoked"
TTL_S = 60.0
MAX_ENTRIES = 50_000


class SessionCache:
    """Token hash -> live session, trusted only while revocation notices are heard."""

    def __init__(self, database_url: str) -> None:
        self._entries: dict[str, tuple[Session, datetime, float]] = {}
        self._lock = threading.Lock()
        self.revocations = 0  # a generation counter: bumped by every revocation heard
        self._listener = NoticeListener(
            database_url,
            REVOKED_CHANNEL,
            self.forget,
            on_listening=self.clear,
            on_deaf=self.clear,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start listening for revocations (in a daemon thread)."""
        self._thread = threading.Thread(
            target=self._listener.run, args=(self._stop,), name="session-revocations", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def trusted(self) -> bool:
        """Whether revocations are being heard (else the cache is bypassed)."""
        return self._listener.listening.is_set()

    def get(self, token_hash: str, now: datetime, monotonic_now: float) -> Session | None:
        """The cached live session of `token_hash`, if any."""
        if not self.trusted:
            return None
        with self._lock:
            entry = self._entries.get(token_hash)
        if entry is None:
            return None
        session, expires_at, cached_at = entry
        if expires_at <= now or monotonic_now - cached_at > TTL_S:
            with self._lock:  # out of date, not revoked: no revocation to count
                self._entries.pop(token_hash, None)
            return None
        return session

    def put(
        self,
        token_hash: str,
        session: Session,
        expires_at: datetime,
        seen_revocations: int,
        monotonic_now: float,
    ) -> None:
        """Keep a session read from the database, unless a revocation came since the read
        began (`seen_revocations`): it may have been this one."""
        with self._lock:
            if not self.trusted or self.revocations != seen_revocations:
                return
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()  # crude, but bounded: a refill costs one read each
            self._entries[token_hash] = (session, expires_at, monotonic_now)

    def forget(self, token_hash: str) -> None:
        """Drop one session whose revocation was heard."""
        with self._lock:
            self.revocations += 1
            self._entries.pop(token_hash, None)

    def clear(self) -> None:
        """Drop every session (the listening connection came or went)."""
        with self._lock:
            self.revocations += 1
            self._entries.clear()
