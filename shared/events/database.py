"""PostgreSQL plumbing: the connection pool, creating a service database and its kit tables,
translating driver errors, and the bounded retry policy for transient ones."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import weakref
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from shared.config import with_database
from shared.events import errors

log = logging.getLogger(__name__)
T = TypeVar("T")

# The kit's own tables, created in every service database. `events` is also the outbox.
KIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The writing transaction. Readers order and checkpoint by (tx_id, position) and read only
    -- below the oldest running transaction, so an event that commits late is never skipped.
    tx_id          xid8 NOT NULL DEFAULT pg_current_xact_id(),
    stream_id      text NOT NULL,
    version        integer NOT NULL CHECK (version > 0),
    event_id       uuid NOT NULL UNIQUE,
    type           text NOT NULL,
    schema_version integer NOT NULL,
    data           jsonb NOT NULL,
    metadata       jsonb NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_commit_order ON events (tx_id, position);

CREATE TABLE IF NOT EXISTS inbox (
    consumer    text NOT NULL,
    message_id  uuid NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
-- Which process handled the message: the connection's application_name, which `open_pool`
-- sets to `<service>@<host>:<pid>` (one service runs several workers). Added to older
-- databases only when missing, so a process start takes no lock on the table.
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'inbox'::regclass
                   AND attname = 'handled_by' AND NOT attisdropped) THEN
        ALTER TABLE inbox ADD COLUMN handled_by text DEFAULT current_setting('application_name');
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS checkpoints (
    name       text PRIMARY KEY,
    tx_id      xid8 NOT NULL,
    position   bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS held_messages (
    consumer     text NOT NULL,
    message_id   uuid NOT NULL,
    ordering_key text NOT NULL,
    routing_key  text NOT NULL,
    body         bytea NOT NULL,
    reason       text NOT NULL,
    held_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, message_id)
);
CREATE INDEX IF NOT EXISTS held_messages_key ON held_messages (consumer, ordering_key, held_at);

CREATE TABLE IF NOT EXISTS deadlines (
    kind      text NOT NULL,
    key       text NOT NULL,
    due_at    timestamptz NOT NULL,
    payload   jsonb NOT NULL DEFAULT '{}'::jsonb,
    fired_at  timestamptz,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS deadlines_due ON deadlines (due_at) WHERE fired_at IS NULL;

CREATE TABLE IF NOT EXISTS idempotent_requests (
    scope       text NOT NULL,
    key         text NOT NULL,
    fingerprint text NOT NULL,
    status      integer NOT NULL,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
-- Every transaction that appends events notifies APPENDED_CHANNEL when it commits (one notice
-- per transaction: PostgreSQL folds equal notices), so the relay and the projection runners
-- wait for news instead of polling (shared/events/appends.py). Created only when missing, so
-- a process start takes no lock on the table.
CREATE OR REPLACE FUNCTION cnnect_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('cnnect_events_appended', '');
    RETURN NULL;
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'events_appended'
                   AND tgrelid = 'events'::regclass) THEN
        CREATE TRIGGER events_appended AFTER INSERT ON events
            FOR EACH STATEMENT EXECUTE FUNCTION cnnect_events_appended();
    END IF;
END $$;

-- Set in the transaction that carried the request's effect out (shared/web/idempotency.py).
ALTER TABLE idempotent_requests ADD COLUMN IF NOT EXISTS
    effect_committed boolean NOT NULL DEFAULT false;
"""

_TRANSIENT = (
    pg_errors.SerializationFailure,
    pg_errors.DeadlockDetected,
    pg_errors.LockNotAvailable,
    pg_errors.AdminShutdown,
    pg_errors.CannotConnectNow,
)


def translate(exc: Exception) -> errors.PersistenceError:
    """Map a driver exception to our hierarchy (the one place that knows psycopg's)."""
    if isinstance(exc, errors.PersistenceError):
        return exc
    if isinstance(exc, (*_TRANSIENT, psycopg.OperationalError, *psycopg_pool_errors())):
        return errors.OperationalError(str(exc))
    if isinstance(exc, psycopg.IntegrityError):
        return errors.IntegrityError(str(exc))
    return errors.ProgrammingError(str(exc))


def psycopg_pool_errors() -> tuple[type[Exception], ...]:
    """The pool's own transient errors (a timeout waiting for a connection)."""
    from psycopg_pool import PoolTimeout, TooManyRequests

    return (PoolTimeout, TooManyRequests)


class _Translated:
    """The context manager `translated` returns. A plain class, not a @contextmanager
    generator: it wraps every transaction and query, and a generator-based one costs four
    times as much to enter and leave. It holds no state, so one instance serves all threads."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            return
        if isinstance(exc, psycopg.Error):
            raise translate(exc) from exc
        if isinstance(exc, psycopg_pool_errors()):
            raise errors.OperationalError(str(exc)) from exc


_TRANSLATED = _Translated()


def translated() -> contextlib.AbstractContextManager[None]:
    """Re-raise any driver error as ours, keeping the original as the cause."""
    return _TRANSLATED


# Only transient errors are retried, a bounded number of times with jittered backoff. One
# policy object serves every thread (tenacity keeps its per-call state thread-local).
RETRY_ATTEMPTS = 6
_RETRYING = Retrying(
    retry=retry_if_exception_type(errors.OperationalError),
    stop=stop_after_attempt(RETRY_ATTEMPTS - 1),
    wait=wait_exponential_jitter(multiplier=0.05, max=2.0),
    reraise=True,
)


def with_retry(fn: Callable[[], T]) -> T:
    """Run `fn`, retrying it on transient database errors (bounded)."""
    try:
        # The first attempt runs bare: almost every call succeeds, and setting up the retry
        # machinery on each one costs more than a database round trip.
        return fn()
    except errors.OperationalError:
        return _RETRYING(fn)


# When each pooled connection was last handed out. A connection used moments ago is not
# pinged again before its next use: the ping is a round trip on every transaction.
_HANDED_OUT: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = weakref.WeakKeyDictionary()
IDLE_CHECK_AFTER_S = 2.0
# How long the pool keeps retrying one lost connection in the background before it leaves the
# slot to be refilled on demand. psycopg_pool doubles its delay between attempts (1, 2, 4, 8 s
# ...) for as long as this lasts (5 minutes by default): after a primary failover that took
# 10 s, its next attempt came 5 s after the new primary was up, and the gap grows with the
# outage. Past this window, the next `getconn` connects at once (and starts a new series).
RECONNECT_WINDOW_S = 10.0


def _check_if_idle(conn: psycopg.Connection[Any]) -> None:
    now = time.monotonic()
    last = _HANDED_OUT.get(conn)
    _HANDED_OUT[conn] = now
    if last is None or now - last > IDLE_CHECK_AFTER_S:
        ConnectionPool.check_connection(conn)


def process_identity(name: str) -> str:
    """`<name>@<host>:<pid>`: this process, as its database sessions call themselves."""
    # PostgreSQL keeps 63 bytes of an application_name; the pid at the end matters most.
    suffix = f"@{socket.gethostname()}:{os.getpid()}"
    return name[: max(0, 63 - len(suffix))] + suffix[-63:]


def open_pool(url: str, *, min_size: int = 1, max_size: int = 8, name: str = "") -> ConnectionPool:
    """A started connection pool of dict-row connections; the caller closes it."""
    pool: ConnectionPool = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs={
            "row_factory": dict_row,
            "autocommit": False,
            # Names the process in pg_stat_activity, and in the inbox rows it writes.
            "application_name": process_identity(name or "cnnect"),
        },
        open=False,
        name=name or None,
        # A connection that broke while idle (server restarted) is replaced, not handed out;
        # one that breaks in use fails its transaction, which `with_retry` runs again.
        check=_check_if_idle,
        timeout=10.0,
        reconnect_timeout=RECONNECT_WINDOW_S,
    )
    with translated():
        pool.open(wait=True, timeout=15.0)
    return pool


def ensure_database(postgres_url: str, database: str) -> None:
    """Create `database` on the server of `postgres_url` unless it exists."""
    with translated(), psycopg.connect(postgres_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            # Processes starting at once race to create it (every service opens the keyring
            # in the gateway's database): the loser's error is a duplicate name or key.
            with contextlib.suppress(pg_errors.DuplicateDatabase, pg_errors.UniqueViolation):
                conn.execute(f'CREATE DATABASE "{database}"')
                log.info("created database %s", database)


def drop_database(postgres_url: str, database: str) -> None:
    """Drop `database` (tests clean up with this), closing its connections first."""
    with translated(), psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def migrate(database_url: str, *schemas: str) -> None:
    """Create the kit tables and the given service tables (idempotent)."""
    with (
        translated(),
        psycopg.connect(database_url, autocommit=True) as conn,
        conn.transaction(),
    ):
        # Serialise concurrent migrations (two processes of one service starting at once).
        conn.execute("SELECT pg_advisory_xact_lock(7253)")
        conn.execute(KIT_SCHEMA)
        for schema in schemas:
            if schema.strip():
                conn.execute(schema.encode())


def prepare_service_database(postgres_url: str, database: str, *schemas: str) -> str:
    """Create and migrate a service database; returns its URL."""
    ensure_database(postgres_url, database)
    url = with_database(postgres_url, database)
    migrate(url, *schemas)
    return url
