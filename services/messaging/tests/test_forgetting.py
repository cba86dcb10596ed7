"""A customer's messages, files, address and e-mails are kept sealed under their key, shown
plain to those who may see them, and gone for good once the customer is forgotten (issue 21):
the messaging service wired on its own database and keyring, its API called as the gateway
calls it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.messaging.bootstrap import DEFINITION as MESSAGING
from shared.events.contracts import CONTRACTS
from shared.events.contracts.envelope import decode_envelope, encode_envelope
from shared.events.database import drop_database, prepare_service_database
from shared.events.projections import ProjectionRunner
from shared.events.relay import envelope_of
from shared.personal.postgres_keyring import SCHEMA as KEYRING_SCHEMA
from shared.personal.sealing import FORGOTTEN, is_sealed, is_sealed_file
from shared.runtime import Context
from shared.web.identity import Identity, issue_token
from tests.support.images import png
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context

CUSTOMER = "cus-jane-roe"
ORDER = "ord-forget-1"
TEXT = "Jane Roe here, 12 Rose Street: is the bag navy?"
REPLY = "Dear Jane Roe, yes it is navy."
FILE_NAME = "jane-roe-passport.png"
EMAIL = "jane.roe@example.org"


@pytest.fixture
def messaging(infra: Infra, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    """Messaging on its own database, its keys in a keyring of this test alone."""
    keys = infra.name("keys")
    monkeypatch.setenv(
        "CNNECT_KEYRING_URL", prepare_service_database(infra.postgres_url, keys, KEYRING_SCHEMA)
    )
    with service_context(infra, MESSAGING) as context:
        yield context
    drop_database(infra.postgres_url, keys)


def _headers(context: Context, subject: str, role: str) -> dict[str, str]:
    token = issue_token(context.settings.identity_secret, Identity(subject, role))
    return {"Authorization": f"Bearer {token}"}


def _customer(context: Context) -> dict[str, str]:
    return _headers(context, CUSTOMER, "customer")


def _staff(context: Context) -> dict[str, str]:
    return _headers(context, "staff-1", "staff")


def _project(context: Context) -> None:
    for projection in MESSAGING.projections():
        ProjectionRunner(context.store, projection).catch_up()


def _rows(context: Context, sql: str, *params: Any) -> list[dict[str, Any]]:
    return context.store.query(sql, params)


def _conversation_with_a_file(context: Context) -> tuple[FlaskClient, str]:
    """The customer's order conversation: their message with a picture, a staff reply, and
    their address known; the client and the picture's attachment id."""
    deliver(
        consumer(context, MESSAGING), message("OrderPlaced", "orders", ORDER, customer_id=CUSTOMER)
    )
    client = MESSAGING.create_app(context).test_client()
    answer = client.put(
        f"/customers/{CUSTOMER}/email", json={"email": EMAIL}, headers=_staff(context)
    )
    assert answer.status_code == 200, answer.get_json()
    posted = client.post(
        f"/orders/{ORDER}/messages",
        data={"text": TEXT, "attachments": [(io.BytesIO(png()), FILE_NAME)]},
        headers=_customer(context),
        content_type="multipart/form-data",
    )
    assert posted.status_code == 201, posted.get_json()
    replied = client.post(
        f"/orders/{ORDER}/messages", json={"text": REPLY}, headers=_staff(context)
    )
    assert replied.status_code == 201, replied.get_json()
    _project(context)
    [attachment] = _rows(context, "SELECT attachment_id FROM attachments")
    return client, attachment["attachment_id"]


def _stored_text(context: Context) -> str:
    """Everything messaging stored of the customer, as text: events, rows, files."""
    events = [str(e.data) for e in context.store.read_all()]
    tables = ["messages", "conversations", "attachments", "customer_addresses", "mail_outbox"]
    rows = [str(r) for table in tables for r in _rows(context, f"SELECT * FROM {table}")]
    files = [
        bytes(r["content"]).decode("latin-1")
        for r in _rows(context, "SELECT content FROM attachments")
    ]
    return "\n".join(events + rows + files)


def test_a_customers_message_file_address_and_mail_are_stored_sealed_and_shown_plain(
    messaging: Context,
) -> None:
    client, attachment_id = _conversation_with_a_file(messaging)
    stored = _stored_text(messaging)
    for plain in ("Jane Roe", "Rose Street", FILE_NAME, EMAIL):
        assert plain not in stored
    assert png() not in stored.encode("latin-1")
    [file] = _rows(messaging, "SELECT content, display_name, size FROM attachments")
    assert is_sealed_file(bytes(file["content"])) and is_sealed(file["display_name"])
    assert file["size"] == len(png())
    [mail] = _rows(messaging, "SELECT * FROM mail_outbox")
    assert all(is_sealed(mail[c]) for c in ("to_address", "subject", "body"))

    shown = client.get(f"/orders/{ORDER}/messages", headers=_customer(messaging)).get_json()
    assert [m["text"] for m in shown["messages"]] == [TEXT, REPLY]
    assert shown["messages"][0]["attachments"][0]["name"] == FILE_NAME
    opened = client.get(f"/attachments/{attachment_id}", headers=_customer(messaging))
    assert opened.status_code == 200
    assert opened.data == png()
    assert FILE_NAME in opened.headers["Content-Disposition"]


def test_a_forgotten_customers_conversation_shows_forgotten_customer_and_the_file_is_gone(
    messaging: Context,
) -> None:
    client, attachment_id = _conversation_with_a_file(messaging)
    assert messaging.personal.forget(CUSTOMER)  # what the gateway does first

    shown = client.get(f"/orders/{ORDER}/messages", headers=_staff(messaging)).get_json()
    assert [m["text"] for m in shown["messages"]] == [FORGOTTEN, FORGOTTEN]
    assert shown["messages"][0]["attachments"][0]["name"] == FORGOTTEN
    gone = client.get(f"/attachments/{attachment_id}", headers=_staff(messaging))
    assert gone.status_code == 410
    assert "asked us to forget them" in gone.get_json()["message"]
    refused = client.post(
        f"/orders/{ORDER}/messages", json={"text": "Still there?"}, headers=_staff(messaging)
    )
    assert refused.status_code == 410


def test_recording_a_forgotten_customer_is_idempotent_and_removes_their_address_and_mails(
    messaging: Context,
) -> None:
    client, _ = _conversation_with_a_file(messaging)
    messaging.personal.forget(CUSTOMER)
    path = f"/customers/{CUSTOMER}/forgotten"
    assert client.post(path, headers=_customer(messaging)).status_code == 403

    first = client.post(path, headers=_staff(messaging))
    again = client.post(path, headers=_staff(messaging))

    assert first.status_code == again.status_code == 200
    assert first.get_json()["recorded"] is True and again.get_json()["recorded"] is False
    assert first.get_json()["forgotten_at"] == again.get_json()["forgotten_at"]
    events = messaging.store.read_stream(f"customer-{CUSTOMER}")
    assert [(e.type, e.data["customer_id"]) for e in events] == [("CustomerForgotten", CUSTOMER)]
    # The relay publishes it to orders and billing as the contract says, keyed by the customer.
    assert "CustomerForgotten" in CONTRACTS.published_by("messaging")
    envelope = decode_envelope(encode_envelope(envelope_of(events[0], "messaging")))
    assert envelope.ordering_key == CUSTOMER
    assert CONTRACTS.load(envelope.type, envelope.schema_version, envelope.data)["customer_id"] == (
        CUSTOMER
    )
    assert _rows(messaging, "SELECT * FROM customer_addresses") == []
    [mail] = _rows(messaging, "SELECT status, sent_at FROM mail_outbox")
    assert (mail["status"], mail["sent_at"]) == ("forgotten", None)


def test_a_purchase_condition_and_a_reception_problem_travel_sealed(messaging: Context) -> None:
    deliver(
        consumer(messaging, MESSAGING),
        message("OrderPlaced", "orders", ORDER, customer_id=CUSTOMER),
    )
    client = MESSAGING.create_app(messaging).test_client()
    asked = client.post(
        f"/orders/{ORDER}/messages",
        json={
            "text": "Only if Jane Roe's size is there",
            "kind": "purchase_condition",
            "item_id": "itm-1",
        },
        headers=_customer(messaging),
    )
    assert asked.status_code == 201, asked.get_json()
    # A comment from before orders sealed it is sealed here.
    reported = message(
        "ReceptionReported", "orders", ORDER, customer_id=CUSTOMER, comment="Jane Roe: broken"
    )
    deliver(consumer(messaging, MESSAGING), reported)
    _project(messaging)

    events = {e.type: e.data for e in messaging.store.read_all()}
    assert is_sealed(events["PurchaseConditionRequested"]["text"])
    assert "Jane Roe" not in _stored_text(messaging)
    shown = client.get(f"/orders/{ORDER}/messages", headers=_customer(messaging)).get_json()
    texts = [m["text"] for m in shown["messages"]]
    assert texts == ["Only if Jane Roe's size is there", "Jane Roe: broken"]


def test_a_customers_inquiry_is_sealed_and_a_visitors_stays_as_written(
    messaging: Context,
) -> None:
    client = MESSAGING.create_app(messaging).test_client()
    mine = client.post(
        "/inquiries",
        json={"subject": "Jane Roe's parcel", "text": TEXT, "email": EMAIL},
        headers=_customer(messaging),
    )
    visitor = client.post(
        "/inquiries", json={"subject": "Shipping", "text": "Norway?", "email": "v@example.org"}
    )
    assert mine.status_code == visitor.status_code == 201
    answered = client.post(
        f"/inquiries/{mine.get_json()['inquiry_id']}/answers",
        json={"text": REPLY},
        headers=_staff(messaging),
    )
    assert answered.status_code == 201, answered.get_json()
    _project(messaging)

    stored = _stored_text(messaging)
    for plain in ("Jane Roe", "Rose Street", EMAIL):
        assert plain not in stored
    assert "v@example.org" in stored and "Norway?" in stored  # a visitor has no key
    [mail] = _rows(messaging, "SELECT to_address FROM mail_outbox")
    assert is_sealed(mail["to_address"])
    listed = client.get("/inquiries", headers=_customer(messaging)).get_json()["inquiries"]
    assert [(i["email"], i["customer_id"]) for i in listed] == [(EMAIL, CUSTOMER)]


def test_a_problem_report_arriving_after_forgetting_opens_its_message_without_the_text(
    messaging: Context,
) -> None:
    deliver(
        consumer(messaging, MESSAGING),
        message("OrderPlaced", "orders", ORDER, customer_id=CUSTOMER),
    )
    messaging.personal.forget(CUSTOMER)
    late = message("ReceptionReported", "orders", ORDER, customer_id=CUSTOMER, comment="Jane Roe")
    deliver(consumer(messaging, MESSAGING), late)
    _project(messaging)
    [row] = _rows(messaging, "SELECT kind, text FROM messages")
    assert (row["kind"], row["text"]) == ("problem", FORGOTTEN)
    assert "Jane Roe" not in _stored_text(messaging)
