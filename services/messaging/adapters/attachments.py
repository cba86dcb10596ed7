"""Attachments of messages, stored in the messaging database under generated ids (R14): the
original file name is kept only as metadata. A problem report's pictures stay with orders,
which took them; its message refers to them as `orders-photo:<photo id>` (R23)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from services.messaging.domain.attachments import JudgedAttachment
from services.messaging.personal import is_visitor
from shared.domain_errors import CustomerForgottenError
from shared.events.store import EventStore, Transaction
from shared.personal.personal_data import PersonalData

SCHEMA = """
CREATE TABLE IF NOT EXISTS attachments (
    attachment_id   text PRIMARY KEY,
    conversation_id text NOT NULL,
    message_id      text NOT NULL,
    customer_id     text,
    media_type      text NOT NULL,
    display_name    text NOT NULL,
    content         bytea NOT NULL,
    size            integer NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now()
);
"""


ORDERS_PHOTO = "orders-photo:"


def orders_photo(photo_id: str) -> str:
    """The attachment id of a picture that orders keeps (a problem report's, R23)."""
    return f"{ORDERS_PHOTO}{photo_id}"


def attachment_href(order_id: str, attachment_id: str) -> str:
    """Where a client opens an attachment, through the gateway: messaging's own files at its
    attachment route, a picture orders keeps at the orders photo route, so the service that
    holds the file serves it and checks who may see it (the owner and staff)."""
    if attachment_id.startswith(ORDERS_PHOTO):
        photo_id = attachment_id.removeprefix(ORDERS_PHOTO)
        return f"/api/orders/orders/{quote(order_id, safe='')}/photos/{quote(photo_id, safe='')}"
    return f"/api/messaging/attachments/{quote(attachment_id, safe='')}"


def described(
    order_id: str, attachment_ids: list[str], stored: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """A message's attachments as a client opens them: each id with its href, and, for the
    files messaging keeps (`stored`, from `attachment_facts`), the name it was sent with, its
    media type and its size in bytes (null for a picture orders keeps)."""
    facts = stored or {}
    return [
        {
            "attachment_id": a,
            "href": attachment_href(order_id, a),
            "name": facts.get(a, {}).get("display_name"),
            "media_type": facts.get(a, {}).get("media_type"),
            "size": facts.get(a, {}).get("size"),
        }
        for a in attachment_ids
    ]


def content_disposition(kind: str, name: str) -> str:
    """`inline` or `attachment`, with the file's name: plain ASCII for every browser, and
    RFC 6266's `filename*` for the original (Chinese or Japanese names survive a download)."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in name)
    encoded = quote(name, safe="")
    return f"{kind}; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{encoded}"


def new_ids(files: list[JudgedAttachment]) -> list[str]:
    """Generated ids for judged files (names never become ids or paths)."""
    return [f"att-{uuid.uuid4().hex}" for _ in files]


def save_attachments(
    tx: Transaction,
    personal: PersonalData,
    conversation_id: str,
    message_id: str,
    customer_id: str | None,
    ids: list[str],
    files: list[JudgedAttachment],
) -> None:
    """Store the files in the caller's transaction, with the message that carries them: the
    bytes and the name sealed under the customer's key (the size is the plain file's)."""

    def seal(text: str) -> str:
        return text if is_visitor(customer_id) else personal.seal(str(customer_id), text)

    def seal_file(content: bytes) -> bytes:
        return content if is_visitor(customer_id) else personal.seal_file(str(customer_id), content)

    with tx.conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO attachments (attachment_id, conversation_id, message_id, customer_id, "
            "media_type, display_name, content, size) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    aid,
                    conversation_id,
                    message_id,
                    customer_id,
                    f.media_type,
                    seal(f.display_name),
                    seal_file(f.content),
                    len(f.content),
                )
                for aid, f in zip(ids, files, strict=True)
            ],
        )


def attachment_facts(store: EventStore, attachment_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Name, media type and size of the stored attachments among `attachment_ids`, by id."""
    if not attachment_ids:
        return {}
    rows = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT attachment_id, display_name, media_type, size FROM attachments "
            "WHERE attachment_id = ANY(%s)",
            (attachment_ids,),
        ).fetchall()
    )
    return {row["attachment_id"]: dict(row) for row in rows}


def load_attachment(store: EventStore, attachment_id: str) -> dict[str, Any] | None:
    """A stored attachment as stored (name and bytes sealed: `opened_attachment`), or None."""
    row: dict[str, Any] | None = store.transact(
        lambda tx: tx.conn.execute(
            "SELECT customer_id, media_type, display_name, content FROM attachments "
            "WHERE attachment_id = %s",
            (attachment_id,),
        ).fetchone()
    )
    return row


def opened_attachment(personal: PersonalData, row: dict[str, Any]) -> tuple[bytes, str]:
    """The plain bytes and name of a loaded attachment; CustomerForgottenError (410) when its
    customer was forgotten: the file no longer opens."""
    content = personal.open_file(bytes(row["content"]))
    if content is None:
        raise CustomerForgottenError(
            "This attachment was deleted: the customer who sent or received it asked us to "
            "forget them."
        )
    return content, personal.reveal_text(row["display_name"])
