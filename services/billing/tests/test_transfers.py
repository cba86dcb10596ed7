"""Bank transfers on the pure domain model (R9): the transfer reference, the receiving account,
and a pending report that withholds the card until it is matched or withdrawn."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.config import receiving_account
from services.billing.domain.billing import Billing, BillingIssued, PaymentReportWithdrawn
from services.billing.domain.transfer import (
    billing_of_reference,
    parse_account,
    transfer_reference,
)
from shared.config import ConfigurationError, Settings
from shared.domain_errors import InvalidTransitionError
from shared.money import Money

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)
EUR = "EUR"


def _eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


def _billing(amount: str = "30.00") -> Billing:
    issued = BillingIssued(
        "ord-0123456789ab-2", "ord-0123456789ab", "c1", "second", 1, _eur(amount), [], None, NOW
    )
    return Billing.replay("ord-0123456789ab-2", [issued])


def _reported(billing: Billing, amount: str = "30.00") -> Billing:
    new = billing.report_payment("rep-1", "A MARTIN", date(2026, 11, 27), _eur(amount), NOW, NOW)
    for event in new:
        billing.apply(event)
    return billing


@pytest.mark.rule("R9")
@given(st.integers(0, 16**12 - 1), st.sampled_from(["1", "2"]))
def test_R9_every_billing_has_a_short_reference_that_names_it_back(number: int, kind: str) -> None:
    billing_id = f"ord-{number:012x}-{kind}"
    reference = transfer_reference(billing_id)
    assert reference.startswith("CN-") and len(reference) == len("CN-XXXXX-XXXXX-C")
    assert billing_of_reference(reference) == billing_id
    # however the payer typed it: lower case, no dashes, spaces, O for 0
    typed = reference.lower().replace("-", " ").replace("0", "o")
    assert billing_of_reference(typed) == billing_id


@pytest.mark.rule("R9")
@given(st.integers(0, 16**12 - 1), st.integers(3, 13), st.integers(1, 31))
def test_R9_a_reference_with_one_mistyped_character_pays_nobody(
    number: int, position: int, shift: int
) -> None:
    reference = transfer_reference(f"ord-{number:012x}-1")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    if reference[position] == "-":
        return
    wrong = alphabet[(alphabet.index(reference[position]) + shift) % 32]
    assert billing_of_reference(reference[:position] + wrong + reference[position + 1 :]) is None


def test_a_billing_id_still_names_its_billing_in_a_notice() -> None:
    assert billing_of_reference("ord-0123456789ab-1") == "ord-0123456789ab-1"
    assert billing_of_reference(" some-other-billing ") == "some-other-billing"


def test_the_receiving_account_is_read_from_its_configuration() -> None:
    account = parse_account(
        "bank=Mizuho Bank; branch=Ginza (110); type=Ordinary; number=1234567; holder=CNNECT LTD"
    )
    assert (account.bank, account.branch, account.account_type) == (
        "Mizuho Bank",
        "Ginza (110)",
        "Ordinary",
    )
    assert (account.number, account.holder, account.development) == (
        "1234567",
        "CNNECT LTD",
        False,
    )
    with pytest.raises(ValueError, match="holder missing"):
        parse_account("bank=A;branch=B;type=Ordinary;number=1")
    with pytest.raises(ValueError, match="cannot read"):
        parse_account("CNNECT Ltd, IBAN on request")


@pytest.mark.rule("R9", "R10")
def test_R9_a_pending_transfer_report_withholds_the_card_until_withdrawn() -> None:
    billing = _reported(_billing())
    with pytest.raises(InvalidTransitionError, match=r"reported a bank transfer of 30\.00 EUR"):
        billing.card_payment_due(Decimal("3.9"), _eur("0"))
    with pytest.raises(InvalidTransitionError, match="already reported a transfer"):
        billing.report_payment("rep-2", "A MARTIN", date(2026, 11, 27), _eur("30.00"), NOW, NOW)
    [withdrawn] = billing.withdraw_report("rep-1", "c1", NOW)
    assert isinstance(withdrawn, PaymentReportWithdrawn)
    billing.apply(withdrawn)
    assert billing.card_payment_due(Decimal("3.9"), _eur("0")) == (_eur("30.00"), _eur("1.17"))
    with pytest.raises(InvalidTransitionError, match="already matched to a payment or withdrawn"):
        billing.withdraw_report("rep-1", "c1", NOW)


@pytest.mark.rule("R9")
def test_R9_a_short_bank_transfer_matches_the_report_and_leaves_the_rest_open() -> None:
    billing = _reported(_billing(), "20.00")
    new, excess = billing.receive_money("p1", _eur("20.00"), "bank_transfer", NOW)
    for event in new:
        billing.apply(event)
    assert excess.is_zero and billing.pending_report is None
    assert billing.open_amount == _eur("10.00")
    # the rest may now go by card: the report was matched
    assert billing.card_payment_due(Decimal("3.9"), _eur("0"))[0] == _eur("10.00")


def test_a_deposit_payment_does_not_match_the_reported_transfer() -> None:
    billing = _reported(_billing())
    new, _ = billing.record_payment("p1", _eur("5.00"), "deposit", NOW)
    for event in new:
        billing.apply(event)
    assert billing.pending_report is not None


def _settings(production: bool, account: str | None) -> Settings:
    extra = {} if account is None else {"bank_account": account}
    return Settings(service="billing", production=production, extra=extra)


@pytest.mark.rule("R9")
def test_R9_production_billing_does_not_start_without_a_readable_receiving_account() -> None:
    with pytest.raises(ConfigurationError, match="CNNECT_BILLING_BANK_ACCOUNT must be set"):
        receiving_account(_settings(True, None))
    with pytest.raises(ConfigurationError, match="cannot read"):
        receiving_account(_settings(True, "CNNECT Ltd, IBAN on request"))
    real = "bank=B;branch=Br;type=Ordinary;number=1;holder=H"
    assert receiving_account(_settings(True, real)).development is False
    # In development, unset: the marked development account.
    assert receiving_account(_settings(False, None)).development is True
