"""Leader election on the real PostgreSQL: one worker leads, the others stand by, and one of
them takes over when the leader's session ends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from shared.events.database import open_pool
from shared.events.leadership import Leadership
from tests.support.runners import Watched, watched_loop
from tests.support.waiting import wait_until


class CountingLoop:
    """A leader's loop that counts how many of its copies run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def __call__(self, stop: threading.Event) -> None:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        stop.wait()
        with self._lock:
            self.running -= 1


@pytest.fixture
def pools(database_url: str) -> Iterator[list[ConnectionPool]]:
    """Three workers' connection pools."""
    pools = [open_pool(database_url, max_size=3, name=f"worker-{n}") for n in range(3)]
    yield pools
    for pool in pools:
        pool.close()


def test_one_of_three_workers_leads_and_the_lead_passes_on_when_its_session_ends(
    database_url: str, pools: list[ConnectionPool]
) -> None:
    loop = CountingLoop()
    workers = [
        Leadership(pool, "billing-projections", [loop], retry_interval=0.1) for pool in pools
    ]
    with _leading(workers[0]), _leading(workers[1]), _leading(workers[2]):
        wait_until(lambda: loop.running == 1, "one worker leads")
        leader = next(w for w in workers if w.leading.is_set())
        # The other two keep trying every 0.1 s meanwhile, and fail.
        standbys = [w for w in workers if w is not leader]
        tried = sum(w.attempts for w in standbys)
        wait_until(lambda: sum(w.attempts for w in standbys) >= tried + 6, "standbys try again")
        assert loop.most_at_once == 1 and sum(w.terms for w in workers) == 1
        # The leader's process dies: PostgreSQL ends its session and releases the lock.
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid IN "
                "(SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)"
            )
        wait_until(lambda: not leader.leading.is_set(), "the old leader stops leading")
        wait_until(
            lambda: sum(w.terms for w in workers) == 2 and loop.running == 1,
            "a worker leads again",
        )
    assert loop.running == 0
    # The leaders gave their connections back: none of them still holds the lock.
    with psycopg.connect(database_url, autocommit=True) as admin:
        held = admin.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).fetchone()
    assert held == (0,)


def test_a_lock_of_another_name_does_not_stand_in_the_way(pools: list[ConnectionPool]) -> None:
    projections = CountingLoop()
    other = CountingLoop()
    with (
        _leading(Leadership(pools[0], "orders-projections", [projections], retry_interval=0.1)),
        _leading(Leadership(pools[1], "orders-other", [other], retry_interval=0.1)),
    ):
        wait_until(lambda: projections.running == other.running == 1, "both lead")


def _leading(leadership: Leadership) -> AbstractContextManager[Watched]:
    return watched_loop(f"leadership {leadership.name}", leadership.run)
