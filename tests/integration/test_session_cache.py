"""Gateway processes keep live sessions in memory, and sign-out still ends a session at once
in every one of them: two account stores over one database stand for two gateway processes."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from services.gateway.adapters.accounts_store import AccountStore
from services.gateway.adapters.session_cache import REVOKED_CHANNEL, SessionCache
from shared.events.database import open_pool
from shared.events.store import EventStore
from tests.support.waiting import wait_until

SOON = 3.0


def _now() -> datetime:
    return datetime.now(UTC)


def _signed_in(store: AccountStore, email: str) -> str:
    """A new customer's session cookie token."""
    account = store.create(email, "a long enough password", "customer")
    token, _ = store.open_session(account, _now())
    return token


def test_a_session_is_looked_up_once_then_served_from_memory(
    two_gateways: tuple[AccountStore, AccountStore],
) -> None:
    a, _ = two_gateways
    token = _signed_in(a, "mem@example.com")
    assert a.session(token, _now()) is not None
    assert a.cache is not None
    # The second lookup does not touch the database: a revocation written behind the
    # cache's back (no notice) is not seen. Only revoke() may end a session.
    with a.store.transaction() as tx:
        tx.conn.execute("UPDATE sessions SET csrf_token = 'changed'")
    cached = a.session(token, _now())
    assert cached is not None and cached.csrf_token != "changed"


def test_signing_out_in_one_gateway_ends_the_session_in_the_other_at_once(
    two_gateways: tuple[AccountStore, AccountStore],
) -> None:
    a, b = two_gateways
    token = _signed_in(a, "two@example.com")
    assert a.session(token, _now()) is not None
    assert b.session(token, _now()) is not None  # now cached in both
    a.revoke(token, _now())
    assert a.session(token, _now()) is None
    wait_until(lambda: b.session(token, _now()) is None, "B refuses the session", SOON)


def test_a_gateway_that_stopped_hearing_revocations_asks_the_database(
    two_gateways: tuple[AccountStore, AccountStore], gateway_url: str
) -> None:
    a, b = two_gateways
    assert b.cache is not None
    token = _signed_in(a, "deaf@example.com")
    assert b.session(token, _now()) is not None
    # B's listening connection dies; the revocation's notice is sent while B cannot hear it.
    with psycopg.connect(gateway_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND query = %s",
            (f"LISTEN {REVOKED_CHANNEL}",),
        )
    a.revoke(token, _now())
    # As soon as B notices it is deaf, it stops trusting its cache (reconnected or not).
    wait_until(lambda: b.session(token, _now()) is None, "B refuses the session", SOON)
    wait_until(lambda: b.cache is not None and b.cache.trusted, "B listens again", 10)
    assert b.session(token, _now()) is None


def test_a_lookup_that_raced_a_revocation_is_not_kept(gateway_url: str) -> None:
    cache = SessionCache(gateway_url)
    cache.start()
    try:
        wait_until(lambda: cache.trusted, "the cache listens")
        store = AccountStore(EventStore(open_pool(gateway_url, max_size=2)), cache)
        account = store.create("race@example.com", "a long enough password", "customer")
        _, session = store.open_session(account, _now())
        seen = cache.revocations
        cache.forget("some other session")  # a revocation heard while the lookup ran
        cache.put("digest", session, datetime.max.replace(tzinfo=UTC), seen, 0.0)
        assert cache.get("digest", _now(), 0.0) is None
        store.store.pool.close()
    finally:
        cache.close()
