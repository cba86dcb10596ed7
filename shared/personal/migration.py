"""Sealing what was stored before sealing: the one time our events are rewritten.

Events are never changed, with this one exception, which the right to erasure makes: personal
fields written in plain text before issue 21 are replaced in place by the same values sealed,
so that destroying the customer's key erases them too. Nothing else of an event changes (type,
version, position, ids, the other fields), so every reader decodes it as before and the
projections, rebuilt afterwards, hold the sealed values as those written since.

It runs in `python -m services.<name> migrate`: each service seals its own stored events,
tables and files from its declaration (shared/personal/stored.py), and remembers the last
event position it went through, so a later run reads only the events appended since (which
were sealed when written)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.events.store import EventStore, Transaction
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import is_sealed
from shared.personal.stored import PersonalDataMap, SealedColumns, SealedEventFields, SealedFiles

SCHEMA = """
CREATE TABLE IF NOT EXISTS personal_data_sealed (
    name     text PRIMARY KEY,
    position bigint NOT NULL
);
"""
_BATCH = 500
# Owners that are no customer: a visitor's inquiry has no account to forget (messaging keys
# its mails `visitor:<inquiry>`), so nothing of it is sealed.
NOT_CUSTOMERS = ("visitor:",)


@dataclass
class SealingReport:
    """What one run sealed."""

    events: int = 0
    rows: int = 0
    files: int = 0

    @property
    def sealed_anything(self) -> bool:
        """Whether anything was sealed (then the projections are rebuilt)."""
        return bool(self.events or self.rows or self.files)


def seal_stored_data(
    store: EventStore, personal: PersonalData, declared: PersonalDataMap
) -> SealingReport:
    """Seal every plain personal value `declared` names in `store`'s database."""
    report = SealingReport()
    store.query(SCHEMA)
    if declared.events:
        report.events = _seal_events(store, personal, declared.events)
    for columns in declared.columns:
        report.rows += _seal_columns(store, personal, columns)
    for files in declared.files:
        report.files += _seal_files(store, personal, files)
    return report


def _seal_events(
    store: EventStore, personal: PersonalData, declared: tuple[SealedEventFields, ...]
) -> int:
    paths = {fields.event_type: fields.paths for fields in declared}
    owner_fields = {fields.event_type: fields.owner for fields in declared}
    found = store.query("SELECT position FROM personal_data_sealed WHERE name = 'events'")
    after = found[0]["position"] if found else 0
    sealed = 0
    owners: dict[str, str | None] = {}
    while True:
        rows = store.query(
            "SELECT position, stream_id, type, data FROM events "
            "WHERE position > %s AND type = ANY(%s) ORDER BY position LIMIT %s",
            (after, list(paths), _BATCH),
        )
        if not rows:
            break

        def work(tx: Transaction, rows: list[Any] = rows) -> int:
            changed = 0
            for row in rows:
                owner = row["data"].get(owner_fields[row["type"]]) or _stream_owner(
                    tx, row["stream_id"], owners
                )
                if not owner or owner.startswith(NOT_CUSTOMERS):
                    continue  # no customer (a visitor's): nothing to seal it under
                data = _sealed_data(personal, owner, row["data"], paths[row["type"]])
                if data != row["data"]:
                    tx.conn.execute(
                        "UPDATE events SET data = %s::jsonb WHERE position = %s",
                        (json.dumps(data), row["position"]),
                    )
                    changed += 1
            return changed

        sealed += store.transact(work)
        after = rows[-1]["position"]
    store.query(
        "INSERT INTO personal_data_sealed (name, position) "
        "SELECT 'events', coalesce(max(position), 0) FROM events "
        "ON CONFLICT (name) DO UPDATE SET position = GREATEST("
        "personal_data_sealed.position, EXCLUDED.position)"
    )
    return sealed


def _stream_owner(tx: Transaction, stream_id: str, owners: dict[str, str | None]) -> str | None:
    if stream_id not in owners:
        row = tx.conn.execute(
            "SELECT data->>'customer_id' AS owner FROM events "
            "WHERE stream_id = %s AND data ? 'customer_id' ORDER BY version LIMIT 1",
            (stream_id,),
        ).fetchone()
        owners[stream_id] = row["owner"] if row else None
    return owners[stream_id]


def _sealed_data(
    personal: PersonalData, owner: str, data: dict[str, Any], paths: tuple[str, ...]
) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(data))
    for path in paths:
        for holder, name in _places(copy, path.split(".")):
            value = holder.get(name)
            if isinstance(value, str) and value and not is_sealed(value):
                holder[name] = personal.seal(owner, value)
    return copy


def _places(value: Any, steps: list[str]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each (dict, key) a dotted path with `[]` steps names inside `value`."""
    if not isinstance(value, dict):
        return
    step, rest = steps[0], steps[1:]
    many = step.endswith("[]")
    name = step.removesuffix("[]")
    if not rest and not many:
        yield value, name
        return
    inner = value.get(name)
    items = inner if many and isinstance(inner, list) else [inner]
    for item in items:
        if rest:
            yield from _places(item, rest)


def _seal_columns(store: EventStore, personal: PersonalData, declared: SealedColumns) -> int:
    names = ", ".join(declared.columns)
    plain = " OR ".join(f"({c} <> '' AND {c} NOT LIKE 'pii1:%%')" for c in declared.columns)
    rows = store.query(
        f"SELECT {declared.key} AS key, {declared.owner} AS owner, {names} "
        f"FROM {declared.table} WHERE {declared.owner} IS NOT NULL AND ({plain})"
    )
    for row in rows:
        if row["owner"].startswith(NOT_CUSTOMERS):
            continue
        values = [
            None if row[c] is None else personal.seal(row["owner"], row[c])
            for c in declared.columns
        ]
        sets = ", ".join(f"{c} = %s" for c in declared.columns)
        store.query(
            f"UPDATE {declared.table} SET {sets} WHERE {declared.key} = %s",
            (*values, row["key"]),
        )
    return sum(1 for row in rows if not row["owner"].startswith(NOT_CUSTOMERS))


def _seal_files(store: EventStore, personal: PersonalData, declared: SealedFiles) -> int:
    # A sealed file starts with b"PII1\0" (shared/personal/sealing.py).
    keys = store.query(
        f"SELECT {declared.key} AS key, {declared.owner} AS owner FROM {declared.table} "
        f"WHERE {declared.owner} IS NOT NULL AND substring({declared.column} for 5) <> "
        "'\\x5049493100'::bytea"
    )
    for row in keys:
        if row["owner"].startswith(NOT_CUSTOMERS):
            continue
        found = store.query(
            f"SELECT {declared.column} AS content FROM {declared.table} WHERE {declared.key} = %s",
            (row["key"],),
        )
        sealed = personal.seal_file(row["owner"], bytes(found[0]["content"]))
        store.query(
            f"UPDATE {declared.table} SET {declared.column} = %s WHERE {declared.key} = %s",
            (sealed, row["key"]),
        )
    return sum(1 for row in keys if not row["owner"].startswith(NOT_CUSTOMERS))
