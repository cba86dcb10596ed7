"""The customers' data keys in PostgreSQL: one table, beside the accounts (docs/design.md,
"Personal data", says why there and not in a key service).

Every service opens the keyring with its own small pool. A key read is kept in this process
for `KEY_CACHE_S` seconds at most, so a forgotten customer's data stops opening everywhere within
that time, and at once in the process that forgot and in those told by `CustomerForgotten`."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.config import Settings
from shared.domain_errors import CustomerForgottenError
from shared.events.database import open_pool, prepare_service_database, translated, with_retry
from shared.observability.metrics import PERSONAL_DATA_KEY_READS
from shared.personal.sealing import new_data_key

KEY_CACHE_S = 5.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS customer_keys (
    customer_id  text PRIMARY KEY,
    -- NULL once the customer is forgotten: the key is destroyed, the row stays so that no
    -- later seal makes them a new one.
    data_key     bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    forgotten_at timestamptz,
    CHECK ((data_key IS NULL) = (forgotten_at IS NOT NULL))
);
"""

# One round trip: the new key if the customer had none, else the row they have. Both halves
# read the statement's snapshot, so exactly one of them returns a row (two sealers racing on a
# new customer: the loser's INSERT waits for the winner's commit, returns nothing, and the
# SELECT half cannot see the winner's row yet; the caller then asks again).
_KEY_TO_SEAL = """
WITH made AS (
    INSERT INTO customer_keys (customer_id, data_key) VALUES (%(customer)s, %(key)s)
    ON CONFLICT (customer_id) DO NOTHING
    RETURNING data_key, forgotten_at
)
SELECT data_key, forgotten_at FROM made
UNION ALL
SELECT data_key, forgotten_at FROM customer_keys WHERE customer_id = %(customer)s
"""

_FORGET = """
INSERT INTO customer_keys (customer_id, data_key, forgotten_at) VALUES (%s, NULL, now())
ON CONFLICT (customer_id) DO UPDATE SET data_key = NULL, forgotten_at = now()
    WHERE customer_keys.data_key IS NOT NULL
RETURNING customer_id
"""


def keyring_database() -> str:
    """The database holding the keys: the gateway's, which owns the customers' identity."""
    return os.environ.get("CNNECT_GATEWAY_DATABASE") or "cnnect_gateway"


def open_keyring(settings: Settings, name: str) -> PostgresKeyring:
    """The keyring of `settings`'s deployment, connected (and its table created if needed)
    on first use: most processes of a service (its relay, shipping's worker) never seal or
    open anything, and would hold a connection of the server's few for nothing."""

    def connect() -> ConnectionPool:
        url = os.environ.get("CNNECT_KEYRING_URL")
        if url is None:
            database = keyring_database()
            url = prepare_service_database(settings.postgres_url, database, SCHEMA)
        return open_pool(url, min_size=1, max_size=4, name=f"{name}-keyring")

    return PostgresKeyring(connect, service=name)


class PostgresKeyring:
    """The `customer_keys` table, with a short-lived copy of the keys read."""

    def __init__(
        self,
        pool: ConnectionPool | Callable[[], ConnectionPool],
        cache_s: float = KEY_CACHE_S,
        service: str = "",
    ) -> None:
        self._pool = pool if isinstance(pool, ConnectionPool) else None
        self._connect = pool if not isinstance(pool, ConnectionPool) else None
        self._reads = PERSONAL_DATA_KEY_READS.labels(service)
        self.cache_s = cache_s
        self._cache: dict[str, tuple[bytes | None, float]] = {}
        self._lock = threading.Lock()

    @property
    def pool(self) -> ConnectionPool:
        """The keyring's connections, opened on first use."""
        with self._lock:
            if self._pool is None:
                assert self._connect is not None
                self._pool = self._connect()
            return self._pool

    def close(self) -> None:
        """Close the connections, if they were ever opened."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()

    def key_to_seal(self, customer_id: str) -> bytes:
        """The customer's key, made now if they have none (CustomerForgottenError if forgotten)."""
        known, key = self._cached(customer_id)
        if not known:
            key = with_retry(lambda: self._read_or_make(customer_id))
            self._keep(customer_id, key)
        if key is None:
            raise CustomerForgottenError("this customer was forgotten")
        return key

    def keys_to_open(self, customer_ids: Iterable[str]) -> Mapping[str, bytes | None]:
        """Each customer's key, None for one forgotten or without a key."""
        found: dict[str, bytes | None] = {}
        missing = []
        for customer_id in set(customer_ids):
            known, key = self._cached(customer_id)
            if known:
                found[customer_id] = key
            else:
                missing.append(customer_id)
        if missing:
            rows = with_retry(lambda: self._read(missing))
            for customer_id in missing:
                # A customer without a row is not remembered: a seal may make their key.
                if customer_id in rows:
                    self._keep(customer_id, rows[customer_id])
                found[customer_id] = rows.get(customer_id)
        return found

    def forget(self, customer_id: str, conn: Connection[Any] | None = None) -> bool:
        """Destroy the customer's key (in `conn`'s transaction when given: the gateway closes
        the account in the same one); False if it was already destroyed."""
        if conn is not None:
            destroyed = conn.execute(_FORGET, (customer_id,)).fetchone() is not None
        else:
            with translated(), self.pool.connection() as own:
                destroyed = own.execute(_FORGET, (customer_id,)).fetchone() is not None
        self._keep(customer_id, None)
        return destroyed

    def vacuum(self) -> None:
        """Remove the destroyed keys' old row versions from the table's pages now."""
        with translated(), self.pool.connection() as conn:
            conn.autocommit = True
            conn.execute("VACUUM customer_keys")

    def drop_cached(self, customer_id: str) -> None:
        """Forget this process's copy of the customer's key."""
        with self._lock:
            self._cache.pop(customer_id, None)

    def _read_or_make(self, customer_id: str) -> bytes | None:
        params = {"customer": customer_id, "key": new_data_key()}
        self._reads.inc()
        for _ in range(3):
            with translated(), self.pool.connection() as conn:
                row = conn.cursor(row_factory=dict_row).execute(_KEY_TO_SEAL, params).fetchone()
            if row is not None:
                return None if row["data_key"] is None else bytes(row["data_key"])
        raise RuntimeError(f"no key could be read or made for customer {customer_id}")

    def _read(self, customer_ids: list[str]) -> dict[str, bytes | None]:
        self._reads.inc()
        with translated(), self.pool.connection() as conn:
            rows = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    "SELECT customer_id, data_key FROM customer_keys WHERE customer_id = ANY(%s)",
                    (customer_ids,),
                )
                .fetchall()
            )
        return {
            row["customer_id"]: None if row["data_key"] is None else bytes(row["data_key"])
            for row in rows
        }

    def _cached(self, customer_id: str) -> tuple[bool, bytes | None]:
        """(whether this process knows the answer, the key or None if destroyed)."""
        with self._lock:
            entry = self._cache.get(customer_id)
        if entry is None:
            return False, None
        key, at = entry
        # A destroyed key never comes back: that answer is kept for good.
        if key is None or time.monotonic() - at < self.cache_s:
            return True, key
        return False, None

    def _keep(self, customer_id: str, key: bytes | None) -> None:
        with self._lock:
            self._cache[customer_id] = (key, time.monotonic())
