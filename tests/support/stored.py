"""What the services stored, read straight from their databases: the proof that a refused
request left nothing behind."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.support.system import SERVICES, System

QUIET_S = 1.0  # no new event for this long: nothing is in flight between the services
SETTLE_TIMEOUT_S = 30.0


def scalar(url: str, sql: str, params: tuple[object, ...] = ()) -> int:
    """The one integer `sql` answers in the database at `url`."""
    with psycopg.connect(url) as conn:
        row = conn.execute(sql, params).fetchone()
    assert row is not None
    return int(row[0])


def event_counts(system: System) -> dict[str, int]:
    """How many events each service has stored."""
    return {
        service: scalar(system.database_url(service), "SELECT count(*) FROM events")
        for service in SERVICES
    }


def last_positions(system: System) -> dict[str, int]:
    """Each service's last event position (0 when it has none)."""
    return {
        service: scalar(
            system.database_url(service), "SELECT coalesce(max(position), 0) FROM events"
        )
        for service in SERVICES
    }


def streams_since(system: System, positions: dict[str, int]) -> dict[str, set[str]]:
    """The streams each service appended to after `positions`."""
    found: dict[str, set[str]] = {}
    for service in SERVICES:
        with psycopg.connect(system.database_url(service)) as conn:
            rows = conn.execute(
                "SELECT DISTINCT stream_id FROM events WHERE position > %s", (positions[service],)
            ).fetchall()
        found[service] = {row[0] for row in rows}
    return found


def _published(system: System) -> bool:
    """True when every service's outbox relay has published all of its events."""
    for service in SERVICES:
        unpublished = scalar(
            system.database_url(service),
            # The relay reads in commit order, (tx_id, position), and checkpoints in it too.
            "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM checkpoints c "
            "WHERE c.name = 'outbox-relay' AND (e.tx_id, e.position) <= (c.tx_id, c.position))",
        )
        if unpublished:
            return False
    return True


def settled_counts(system: System) -> dict[str, int]:
    """The event counts once whatever was accepted has finished travelling between the
    services: every relay has published everything, and no service stored anything new for a
    while (its consumers had time to act on what was published)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    counts = event_counts(system)
    while True:
        time.sleep(QUIET_S)
        now = event_counts(system)
        if now == counts and _published(system):
            return now
        if time.monotonic() > deadline:
            raise AssertionError(f"the services never settled: {counts} then {now}")
        counts = now


@contextmanager
def nothing_stored(system: System, *tables: tuple[str, str]) -> Iterator[None]:
    """Assert that what runs inside stores no event in any service, and no row in any of
    `tables` ((service, table) pairs), once whatever was in flight before has settled."""
    before = settled_counts(system)
    rows = {t: scalar(system.database_url(t[0]), f"SELECT count(*) FROM {t[1]}") for t in tables}
    yield
    assert settled_counts(system) == before
    for (service, table), count in rows.items():
        assert scalar(system.database_url(service), f"SELECT count(*) FROM {table}") == count
