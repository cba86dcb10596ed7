"""Personal data stored before sealing is sealed in place by `migrate`, once: afterwards the
stored events, rows and files hold no plain personal value, read back as they were written,
and forgetting the customer erases them like data sealed when written."""

from __future__ import annotations

import json
import uuid

from shared.events.store import EventStore
from shared.personal.keyring import MemoryKeyring
from shared.personal.migration import seal_stored_data
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN
from shared.personal.stored import PersonalDataMap, SealedColumns, SealedEventFields, SealedFiles

DECLARED = PersonalDataMap(
    events=(
        SealedEventFields("DeliveryDetailsGiven", ("address.name", "address.line1", "note")),
        SealedEventFields("Commented", ("items[].comment",)),
        SealedEventFields("PaymentHeld", ("payer_name",), owner="hold_id"),
    ),
    columns=(SealedColumns("contacts", "contact_id", "customer_id", ("email",)),),
    files=(SealedFiles("photos", "photo_id", "customer_id", "content"),),
)
PHOTO = b"\x89PNG\r\n\x1a\n" + b"Jane's parcel" * 10


def _event(
    store: EventStore, stream: str, version: int, kind: str, data: dict[str, object]
) -> None:
    store.query(
        "INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata) "
        "VALUES (%s, %s, %s, %s, 1, %s::jsonb, '{}'::jsonb)",
        (stream, version, uuid.uuid4(), kind, json.dumps(data)),
    )


def _stored_before_sealing(store: EventStore) -> None:
    _event(store, "order-1", 1, "OrderPlaced", {"order_id": "ord-1", "customer_id": "cus-1"})
    _event(
        store,
        "order-1",
        2,
        "DeliveryDetailsGiven",
        {
            "order_id": "ord-1",
            "address": {"name": "Jane Doe", "line1": "12 Rose Street", "country": "DE"},
            "note": "Ring twice",
        },
    )
    _event(
        store,
        "order-1",
        3,
        "Commented",
        {"customer_id": "cus-1", "items": [{"comment": "Too small"}, {"comment": ""}]},
    )
    _event(store, "held-1", 1, "PaymentHeld", {"hold_id": "hold-1", "payer_name": "J. Doe-Held"})
    store.query("CREATE TABLE contacts (contact_id text PRIMARY KEY, customer_id text, email text)")
    store.query("CREATE TABLE photos (photo_id text PRIMARY KEY, customer_id text, content bytea)")
    store.query("INSERT INTO contacts VALUES ('c-1', 'cus-1', 'jane@example.org')")
    store.query("INSERT INTO photos VALUES ('p-1', 'cus-1', %s)", (PHOTO,))


def _everything(store: EventStore) -> str:
    rows = store.query(
        "SELECT (SELECT json_agg(data ORDER BY position) FROM events)::text AS events, "
        "(SELECT json_agg(c) FROM contacts c)::text AS contacts, "
        "(SELECT encode(content, 'escape') FROM photos) AS photo"
    )
    return " ".join(str(value) for value in rows[0].values())


def test_personal_data_stored_before_sealing_is_sealed_and_reads_as_written(
    store: EventStore,
) -> None:
    personal = PersonalData(MemoryKeyring())
    _stored_before_sealing(store)

    report = seal_stored_data(store, personal, DECLARED)

    assert (report.events, report.rows, report.files) == (3, 1, 1)
    stored = _everything(store)
    for plain in ("Jane Doe", "Rose Street", "Ring twice", "Too small", "jane@", "Doe-Held"):
        assert plain not in stored
    assert "Jane's parcel" not in stored
    given = store.query("SELECT data FROM events WHERE type = 'DeliveryDetailsGiven'")[0]["data"]
    assert personal.reveal(given) == {
        "order_id": "ord-1",
        "address": {"name": "Jane Doe", "line1": "12 Rose Street", "country": "DE"},
        "note": "Ring twice",
    }
    photo = store.query("SELECT content FROM photos")[0]["content"]
    assert personal.open_file(bytes(photo)) == PHOTO

    personal.forget("cus-1")
    assert personal.reveal(given)["address"]["name"] == FORGOTTEN
    assert personal.open_file(bytes(photo)) is None


def test_a_second_run_reads_only_what_was_appended_since_and_seals_nothing_twice(
    store: EventStore,
) -> None:
    personal = PersonalData(MemoryKeyring())
    _stored_before_sealing(store)
    seal_stored_data(store, personal, DECLARED)
    sealed_once = _everything(store)

    again = seal_stored_data(store, personal, DECLARED)

    assert (again.events, again.rows, again.files) == (0, 0, 0)
    assert _everything(store) == sealed_once
