"""`make bench-system` counts SQL statements with `pg_stat_statements` where the server loads
it: on a private server that does, the statements of the run's databases between two marks
are counted, and no other database's; on the shared server, which does not, it says so."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg

from bench.system.statements import StatementCounter
from shared.config import with_database
from tests.support.private_postgres import private_postgres


def test_statements_are_counted_in_the_runs_databases_where_the_server_preloads_it() -> None:
    # A private server that preloads it (the shared one is left alone).
    with private_postgres("shared_preload_libraries = 'pg_stat_statements'") as server:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE DATABASE run_a")
            conn.execute("CREATE DATABASE run_b")
        counter = StatementCounter(server.url, ["run_a", "run_b"])
        assert counter.enable() is None
        counter.mark("load")
        with psycopg.connect(with_database(server.url, "run_b"), autocommit=True) as conn:
            for n in range(10):
                conn.execute("SELECT %s::int", (n,))
        with psycopg.connect(server.url, autocommit=True) as conn:  # not a run database
            for _ in range(5):
                conn.execute("SELECT 1")
        counter.mark("end")
        count = counter.between("load", "end")
        assert count is not None and (count.statements, count.evicted) == (10, 0)


def test_a_server_without_it_preloaded_is_said_not_to_count(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        preloaded = conn.execute("SHOW shared_preload_libraries").fetchone()
    if preloaded and "pg_stat_statements" in str(preloaded[0]):
        return  # this shared server counts: the other test covers that
    counter = StatementCounter(database_url, [urlsplit(database_url).path.lstrip("/")])
    assert "shared_preload_libraries" in (counter.enable() or "")
    counter.mark("load")
    counter.mark("end")
    assert counter.between("load", "end") is None
