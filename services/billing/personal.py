"""Where the billing service keeps personal data: the payer's name a customer gives in a
transfer report, and the name a bank notice carries with money held for staff. Amounts,
dates, references and ids stay plain (a shop keeps its accounting).

A held payment's payer name is sealed under the hold id (`held-<hold id>` is its stream) when
no customer is known: the payer is a person nobody knows yet (services/billing/handlers/held.py);
PaymentHeld carries no customer_id, so its owner is the hold id."""

from __future__ import annotations

from shared.personal.stored import PersonalDataMap, SealedEventFields

PERSONAL_DATA = PersonalDataMap(
    events=(
        SealedEventFields("PaymentReported", ("payer_name",)),
        SealedEventFields("PaymentHeld", ("payer_name",), owner="hold_id"),
    ),
    # No column of its own: payment_reports.payer_name copies PaymentReported's, sealed once
    # the projection is rebuilt from the sealed events.
)
