"""How a projection group applies one batch of events together with the checkpoints it covers.

A batch's transaction first moves every checkpoint the batch covers, in one statement and only
if the checkpoint is still where the group last saw it (which locks its row, as a rebuild
does before emptying the tables, so the two never deadlock); then it applies the events. The
checkpoints and the rows commit together or not at all. A step woken by news of appends
(`read_and_apply`) reads the batch in that same first statement; one that polls reads it
before, without a transaction (`shared/events/projections.py`), and then `apply_batch`."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import psycopg

from shared.events.database import translated
from shared.events.store import READ_ALL_SQL, Position, RecordedEvent, Row

if TYPE_CHECKING:
    from shared.events.projections import Projection


class Raced(Exception):
    """Another runner moved a checkpoint since it was read: the batch is rolled back."""


def apply_batch(
    tx: Any,
    named: Mapping[str, Projection],
    positions: Mapping[str, Position],
    events: Sequence[RecordedEvent],
) -> tuple[list[str], bool]:
    """In `tx`, apply `events` (in commit order, read after the least of `positions`) to the
    projections `named` by checkpoint; each gets those after its own checkpoint. Returns the
    checkpoints moved, and whether stored events follow the batch. Raises `Raced` (rolling
    the transaction back) if a checkpoint is no longer at its place in `positions`."""
    conn = tx.conn
    todo = _todo(named, positions, events)
    moved = [name for name, its in todo.items() if its]
    row = conn.execute(
        _MOVE_CHECKPOINTS,
        {**_expected(positions, moved), **_at(events[-1].commit_position)},
        prepare=True,
    ).fetchone()
    if row is None or row["moved"] != len(moved):
        raise Raced()
    _fold(conn, named, todo)
    return moved, bool(row["behind"])


def read_and_apply(
    tx: Any, named: Mapping[str, Projection], positions: Mapping[str, Position], limit: int
) -> tuple[list[RecordedEvent], list[str], bool]:
    """In `tx`, read the batch after the least of `positions` and move the checkpoints it
    covers in one statement, then apply it: the events, the checkpoints moved, and whether
    stored events follow the batch (or, with no batch, the position read from). A batch
    found empty leaves the transaction without a write: it never takes a transaction id."""
    conn = tx.conn
    after = min(positions.values())
    with translated():
        rows = conn.execute(
            _READ_AND_MOVE,
            {**_expected(positions, list(positions)), **_at(after), "limit": limit},
            prepare=True,
        ).fetchall()
    events = [tx.to_event(row) for row in rows if row["position"] is not None]
    behind = bool(rows and rows[0]["behind"])
    if not events:
        return [], [], behind
    todo = _todo(named, positions, events)
    moved = [name for name, its in todo.items() if its]
    if rows[0]["moved"] != len(moved):
        raise Raced()
    _fold(conn, named, todo)
    return events, moved, behind


def _todo(
    named: Mapping[str, Projection],
    positions: Mapping[str, Position],
    events: Sequence[RecordedEvent],
) -> dict[str, Sequence[RecordedEvent]]:
    """Each projection's events of the batch: those after its own checkpoint (all of them
    unless a rebuild left it elsewhere than the others; the events are in commit order)."""
    return {
        name: events[bisect_right(events, positions[name], key=_commit_position) :]
        for name in named
    }


def _fold(
    conn: psycopg.Connection[Row],
    named: Mapping[str, Projection],
    todo: Mapping[str, Sequence[RecordedEvent]],
) -> None:
    """Apply each projection its events, a whole batch at once where it can."""
    # Pipeline mode sends the batch's statements without waiting for each answer.
    with conn.pipeline():
        for name, events in todo.items():
            if not events:
                continue
            projection = named[name]
            batch_apply = getattr(projection, "apply_batch", None)  # see BatchProjection
            if batch_apply is not None:
                batch_apply(conn, events)
            else:
                for event in events:
                    projection.apply(conn, event)


def _commit_position(event: RecordedEvent) -> Position:
    """Where an event stands in the commit order (the key events are sorted by)."""
    return event.commit_position


def _expected(positions: Mapping[str, Position], names: Sequence[str]) -> dict[str, Any]:
    """The parameters naming checkpoints `names` and where each is expected."""
    return {
        "names": list(names),
        "tx_ids": [str(positions[name].tx_id) for name in names],
        "positions": [positions[name].position for name in names],
    }


def _at(position: Position) -> dict[str, Any]:
    """The parameters of a position in the commit order."""
    return {"tx_id": str(position.tx_id), "position": position.position}


# The checkpoints expected where the group saw them; a row missing is at START (it is created).
# Under READ COMMITTED an UPDATE that waited for a concurrent one checks its WHERE again on the
# row that one left, so a checkpoint a rebuild moved meanwhile is not moved here, and the
# count says so.
_EXPECTED = """expected AS (
    SELECT * FROM unnest(%(names)s::text[], %(tx_ids)s::xid8[], %(positions)s::bigint[])
        AS e(name, tx_id, position)
)"""


def _moving(last: str, covered: str) -> str:
    """The CTEs moving the expected checkpoints to `last` (a row source with tx_id and
    position) where `covered` holds of expected row `e`."""
    return f"""moved AS (
    UPDATE checkpoints c SET tx_id = last.tx_id, position = last.position, updated_at = now()
    FROM expected e, {last}
    WHERE c.name = e.name AND c.tx_id = e.tx_id AND c.position = e.position AND {covered}
    RETURNING 1
), created AS (
    INSERT INTO checkpoints (name, tx_id, position)
    SELECT e.name, last.tx_id, last.position FROM expected e, {last}
    WHERE e.tx_id = '0'::xid8 AND e.position = 0 AND {covered}
      AND NOT EXISTS (SELECT 1 FROM checkpoints c WHERE c.name = e.name)
    ON CONFLICT DO NOTHING
    RETURNING 1
)"""


# Whether stored events follow `last` (CTE) or, without it, %(tx_id)s/%(position)s: the first
# row after it in commit order, by the index.
_BEHIND = """(
    SELECT ev.position FROM events ev
    WHERE (ev.tx_id, ev.position) > (
        coalesce((SELECT tx_id FROM last), %(tx_id)s::xid8),
        coalesce((SELECT position FROM last), %(position)s))
    ORDER BY ev.tx_id, ev.position LIMIT 1
) IS NOT NULL"""

# Every expected checkpoint moved to %(tx_id)s/%(position)s, the batch's last event.
_MOVE_CHECKPOINTS = f"""
WITH {_EXPECTED}, last AS (SELECT %(tx_id)s::xid8 AS tx_id, %(position)s::bigint AS position),
{_moving("last", "true")}
SELECT (SELECT count(*) FROM moved) + (SELECT count(*) FROM created) AS moved, {_BEHIND} AS behind
"""

# The batch after %(tx_id)s/%(position)s read, and every expected checkpoint it covers (those
# before its last event) moved there: one row, its event columns NULL, when there is none.
_READ_AND_MOVE = f"""
WITH {_EXPECTED}, batch AS ({READ_ALL_SQL}
), last AS (
    SELECT tx_id::xid8 AS tx_id, position FROM batch
    ORDER BY tx_id::xid8 DESC, position DESC LIMIT 1
), {_moving("last", "(e.tx_id, e.position) < (last.tx_id, last.position)")}
SELECT batch.*, (SELECT count(*) FROM moved) + (SELECT count(*) FROM created) AS moved,
       {_BEHIND} AS behind
FROM (SELECT 1) AS one LEFT JOIN batch ON true
"""
