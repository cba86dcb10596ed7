"""One name per status on every page (issue 16's one vocabulary)."""

from __future__ import annotations

import pytest

from services.gateway.entrypoints.pages.vocabulary import status_words


@pytest.mark.rule("R4")
def test_a_billing_voided_with_its_cancelled_order_reads_cancelled_not_replaced() -> None:
    # A billing is voided only when its order is cancelled (a revision keeps its billing).
    assert status_words("voided") == "Cancelled"


def test_every_order_status_has_words_of_its_own() -> None:
    codes = ("applied", "purchasing", "awaiting_arrival", "inspected", "shipped", "completed")
    words = [status_words(code) for code in codes]
    assert len(set(words)) == len(codes)
    assert all(w and w != code for w, code in zip(words, codes, strict=True))
