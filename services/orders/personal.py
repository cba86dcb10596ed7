"""Where the orders service keeps personal data, sealed under the order's customer: the
delivery address and note, the texts a customer wrote on an order (purchase conditions and
the seller's answers to them, the reception report's comment, feedback), and the photos of
their goods (inspection and reception pictures). Countries, ids, items and amounts stay plain."""

from __future__ import annotations

from shared.personal.stored import (
    PersonalDataMap,
    SealedEventFields,
    SealedFiles,
)

ADDRESS_LINES = ("name", "line1", "line2", "city", "postal_code", "phone")

PERSONAL_DATA = PersonalDataMap(
    events=(
        SealedEventFields(
            "DeliveryDetailsGiven", (*(f"address.{line}" for line in ADDRESS_LINES), "note")
        ),
        SealedEventFields("PurchaseConditionSet", ("text",)),
        SealedEventFields("SellerConfirmationRecorded", ("answer",)),
        SealedEventFields("ReceptionReported", ("comment",)),
        SealedEventFields("FeedbackLeft", ("text",)),
    ),
    # No table column of its own: the read models (order_details.doc, order_items.problem,
    # public_feedback.text) only copy the events' fields above, so they are sealed once the
    # projections are rebuilt from the sealed events (the migration rebuilds them after).
    files=(SealedFiles("inspection_photos", "photo_id", "customer_id", "content"),),
)
