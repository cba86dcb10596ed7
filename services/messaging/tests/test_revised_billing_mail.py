"""The e-mail of a revised 1st billing asks only for what is left to pay (R17, R8)."""

from __future__ import annotations

import pytest

from services.messaging.domain.notifications import notification_for
from shared.events.contracts import CONTRACTS

PAY = "https://cnnect.example/pay"


def _revision(amount: str, paid: str, settled: bool) -> dict[str, object]:
    return {
        **CONTRACTS.contract("BillingIssued").example,
        "revision": 2,
        "amount": {"amount": amount, "currency": "EUR"},
        "paid": {"amount": paid, "currency": "EUR"},
        "settled": settled,
    }


@pytest.mark.rule("R17", "R8")
def test_R17_a_revision_after_a_partial_payment_asks_only_for_the_rest() -> None:
    mail = notification_for("BillingIssued", _revision("13.95", "10.00", False), "e1", PAY)
    assert mail is not None
    assert mail.subject == "Order ord-7f3a: please pay 3.95 EUR"
    assert "Already paid: 10.00 EUR" in mail.body and "Total to pay: 3.95 EUR" in mail.body


@pytest.mark.rule("R17")
def test_R17_a_revision_covered_by_what_was_paid_asks_for_nothing() -> None:
    mail = notification_for("BillingIssued", _revision("13.95", "13.95", True), "e2", PAY)
    assert mail is not None
    assert mail.subject == "Order ord-7f3a: your revised billing is paid"
    assert "nothing more to pay" in mail.body and "/pay" not in mail.body
