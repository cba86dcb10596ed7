"""A read model that lags on purpose: what a customer's read meets when the projections are
behind their writes (read your writes, README "How the kit keeps its promises")."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from tests.support.system import System


@contextmanager
def read_model_held_back(system: System, service: str) -> Iterator[Callable[[], None]]:
    """While open, `service`'s projections cannot read events written after it began: a
    transaction of the service's database holds the commit-order horizon. Yields `release`."""
    conn = psycopg.connect(system.database_url(service))
    conn.execute("SELECT pg_current_xact_id()")  # take a transaction id: the horizon stops
    lock = threading.Lock()

    def release() -> None:
        with lock:
            if not conn.closed:
                conn.rollback()
                conn.close()

    try:
        yield release
    finally:
        release()
