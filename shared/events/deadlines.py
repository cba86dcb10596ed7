"""The deadlines table of a service database, as one transaction sees it (`tx.deadlines`):
in PostgreSQL here, in memory in shared/events/memory.py. The scheduler
(shared/events/scheduler.py) stores and fires deadlines through it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import psycopg


@dataclass(frozen=True)
class Deadline:
    """Something to do at `due_at`, identified by (kind, key)."""

    kind: str
    key: str
    due_at: datetime
    payload: Mapping[str, Any]


class Deadlines(Protocol):
    """The deadlines of one service, in the caller's transaction."""

    def put(self, deadline: Deadline) -> None:
        """Store a deadline, or move one of the same (kind, key), to fire again."""

    def drop(self, kind: str, key: str) -> None:
        """Forget a deadline that has not fired."""

    def claim_due(self, now: datetime, kinds: Sequence[str]) -> Deadline | None:
        """The earliest unfired deadline of `kinds` due by `now`, claimed by this transaction
        (another transaction skips it until this one ends), or None."""

    def mark_fired(self, deadline: Deadline, now: datetime) -> None:
        """Record that `deadline` fired (it commits with the firing's effects)."""


class SqlDeadlines:
    """The `deadlines` table (shared/events/database.py) through a transaction's connection.

    `FOR UPDATE SKIP LOCKED` lets several workers fire deadlines without blocking each other
    or firing one twice."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def put(self, deadline: Deadline) -> None:
        """Store a deadline, or move one of the same (kind, key), to fire again."""
        self.conn.execute(
            "INSERT INTO deadlines (kind, key, due_at, payload) VALUES (%s, %s, %s, %s::jsonb) "
            "ON CONFLICT (kind, key) DO UPDATE SET due_at = excluded.due_at, "
            "payload = excluded.payload, fired_at = NULL",
            (deadline.kind, deadline.key, deadline.due_at, json.dumps(dict(deadline.payload))),
        )

    def drop(self, kind: str, key: str) -> None:
        """Forget a deadline that has not fired."""
        self.conn.execute(
            "DELETE FROM deadlines WHERE kind = %s AND key = %s AND fired_at IS NULL", (kind, key)
        )

    def claim_due(self, now: datetime, kinds: Sequence[str]) -> Deadline | None:
        """The earliest unfired deadline of `kinds` due by `now`, locked, or None."""
        row = self.conn.execute(
            "SELECT kind, key, due_at, payload FROM deadlines "
            "WHERE fired_at IS NULL AND due_at <= %s AND kind = ANY(%s) "
            "ORDER BY due_at LIMIT 1 FOR UPDATE SKIP LOCKED",
            (now, list(kinds)),
        ).fetchone()
        if row is None:
            return None
        return Deadline(row["kind"], row["key"], row["due_at"], row["payload"])

    def mark_fired(self, deadline: Deadline, now: datetime) -> None:
        """Record that `deadline` fired."""
        self.conn.execute(
            "UPDATE deadlines SET fired_at = %s WHERE kind = %s AND key = %s",
            (now, deadline.kind, deadline.key),
        )
