"""SQL statements the run's databases executed, from `pg_stat_statements`: counted only
where the server loads it (`shared_preload_libraries`); the benchmark creates the extension
in its own databases but never changes the server's configuration, and says when it cannot
count (no other counter of PostgreSQL's counts statements)."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

from shared.config import with_database

_CALLS = """
SELECT coalesce(sum(s.calls), 0)::bigint
FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
WHERE d.datname = ANY(%s)
"""
# Entries evicted since the server started (pg_stat_statements.max reached): their calls
# are lost, so a count taken while it grew is a lower bound.
_DEALLOC = "SELECT dealloc FROM pg_stat_statements_info"
# A mark's own two reads are counted once they end, so in the next mark's sum: not the run's.
OWN_STATEMENTS = 2


@dataclass(frozen=True)
class Count:
    """Statements counted between two marks, and entries evicted meanwhile (0: exact)."""

    statements: int
    evicted: int


@dataclass
class StatementCounter:
    """Sums of `pg_stat_statements.calls` over the run's databases, taken at marks."""

    postgres_url: str
    databases: list[str]
    unavailable: str | None = "not enabled yet"
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)

    def enable(self) -> str | None:
        """Create the extension in the run's first database and read it once; None when it
        counts, else why not (then `mark` does nothing)."""
        try:
            with psycopg.connect(
                with_database(self.postgres_url, self.databases[0]), autocommit=True
            ) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                # Reading it fails unless the server preloads the library.
                conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1").fetchall()
        except psycopg.Error as exc:
            self.unavailable = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        else:
            self.unavailable = None
        return self.unavailable

    def mark(self, label: str) -> None:
        """Remember the statements executed so far in the run's databases, as `label`."""
        if self.unavailable is not None:
            return
        with psycopg.connect(
            with_database(self.postgres_url, self.databases[0]), autocommit=True
        ) as conn:
            row = conn.execute(_CALLS, (self.databases,)).fetchone()
            dealloc = conn.execute(_DEALLOC).fetchone()
        self.marks[label] = (int(row[0]) if row else 0, int(dealloc[0]) if dealloc else 0)

    def between(self, start: str, end: str) -> Count | None:
        """Statements executed from mark `start` to mark `end` (None if not counted)."""
        if start not in self.marks or end not in self.marks:
            return None
        (calls_a, evicted_a), (calls_b, evicted_b) = self.marks[start], self.marks[end]
        return Count(max(0, calls_b - calls_a - OWN_STATEMENTS), evicted_b - evicted_a)
