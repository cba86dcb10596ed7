"""Where messaging keeps personal data, sealed under the customer's key (shared/personal): the
text of every message of a customer's conversation (theirs, staff's and the system's), the
purchase conditions they ask for, a signed-in customer's inquiry (its subject and e-mail), the
attachments they or staff send (name and bytes), the address their e-mails go to, and the
e-mails themselves (address, subject, body).

Not sealed: a visitor's inquiry (no customer id, so no key: its messages, its e-mail address
and the staff answers mailed to it stay as they were written); the outbox rows of a visitor
have a `customer_id` of `visitor:<inquiry id>` and hold plain text."""

from __future__ import annotations

from shared.personal.stored import PersonalDataMap, SealedColumns, SealedEventFields, SealedFiles

# Rows whose owner column starts with this are a visitor's: never sealed (no customer, no key).
VISITOR_PREFIX = "visitor:"

PERSONAL_DATA = PersonalDataMap(
    events=(
        SealedEventFields("MessagePosted", ("text",)),
        SealedEventFields("PurchaseConditionRequested", ("text",)),
        SealedEventFields("InquiryOpened", ("email", "subject")),
    ),
    columns=(
        SealedColumns("messages", "message_id", "customer_id", ("text",)),
        SealedColumns("conversations", "conversation_id", "customer_id", ("email",)),
        SealedColumns("attachments", "attachment_id", "customer_id", ("display_name",)),
        SealedColumns("customer_addresses", "customer_id", "customer_id", ("email",)),
        SealedColumns(
            "mail_outbox", "notification_id", "customer_id", ("to_address", "subject", "body")
        ),
    ),
    files=(SealedFiles("attachments", "attachment_id", "customer_id", "content"),),
)


def is_visitor(customer_id: str | None) -> bool:
    """Whether `customer_id` names nobody with a key: a visitor (or no one)."""
    return not customer_id or customer_id.startswith(VISITOR_PREFIX)
