"""Sealing a customer's personal data: what is sealed opens only with its owner's live key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.domain_errors import CustomerForgottenError
from shared.events.contracts.schemas import MessagePostedSchema
from shared.personal import sealing
from shared.personal.keyring import MemoryKeyring
from shared.personal.personal_data import PersonalData
from shared.personal.sealing import FORGOTTEN, SealError


@given(st.text(min_size=1, max_size=300))
def test_a_sealed_text_opens_to_what_was_written_and_holds_none_of_it(text: str) -> None:
    key = sealing.new_data_key()
    sealed = sealing.seal_text(key, "cus-1", text)
    assert sealing.open_text(key, sealed) == text
    assert sealing.sealed_owner(sealed) == "cus-1"
    # The ciphertext holds no run of the text (8 characters: shorter runs of base64's own
    # alphabet turn up by chance, and the prefix spells the owner's id in the clear).
    ciphertext = sealed.rpartition(":")[2]
    if len(text) >= 8:
        assert text not in ciphertext


def test_the_same_text_seals_differently_each_time() -> None:
    key = sealing.new_data_key()
    first, second = (sealing.seal_text(key, "cus-1", "Jane Doe") for _ in range(2))
    assert first != second


def test_a_sealed_text_moved_to_another_customer_does_not_open() -> None:
    key = sealing.new_data_key()
    sealed = sealing.seal_text(key, "cus-1", "12 Rose Street")
    moved = sealed.replace("pii1:cus-1:", "pii1:cus-2:")
    with pytest.raises(SealError):
        sealing.open_text(key, moved)


def test_a_damaged_sealed_text_is_an_error_not_a_forgotten_customer() -> None:
    personal = PersonalData(MemoryKeyring())
    sealed = personal.seal("cus-1", "Jane Doe")
    damaged = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(SealError):
        personal.reveal(damaged)


def test_revealing_opens_every_sealed_text_of_an_answer_and_leaves_the_rest() -> None:
    personal = PersonalData(MemoryKeyring())
    answer = {
        "order_id": "ord-1",
        "address": {"name": personal.seal("cus-1", "Jane Doe"), "country": "DE"},
        "messages": [{"text": personal.seal("cus-2", "Hello")}, {"text": "plain, from before"}],
    }
    assert personal.reveal(answer) == {
        "order_id": "ord-1",
        "address": {"name": "Jane Doe", "country": "DE"},
        "messages": [{"text": "Hello"}, {"text": "plain, from before"}],
    }


def test_after_forgetting_only_that_customer_reads_as_forgotten() -> None:
    personal = PersonalData(MemoryKeyring())
    answer = [personal.seal("cus-1", "Jane Doe"), personal.seal("cus-2", "Max Mustermann")]
    assert personal.forget("cus-1") is True
    assert personal.reveal(answer) == [FORGOTTEN, "Max Mustermann"]
    assert personal.is_readable("cus-1") is False
    assert personal.forget("cus-1") is False


def test_nothing_new_is_sealed_for_a_forgotten_customer() -> None:
    personal = PersonalData(MemoryKeyring())
    personal.seal("cus-1", "Jane Doe")
    personal.forget("cus-1")
    with pytest.raises(CustomerForgottenError):
        personal.seal("cus-1", "Jane Doe again")


def test_a_sealed_file_opens_until_its_customer_is_forgotten() -> None:
    personal = PersonalData(MemoryKeyring())
    photo = b"\x89PNG\r\n\x1a\n" + b"pixels" * 100
    sealed = personal.seal_file("cus-1", photo)
    assert b"pixels" not in sealed and sealing.sealed_file_owner(sealed) == "cus-1"
    assert personal.open_file(sealed) == photo
    assert personal.open_file(photo) == photo  # a file stored before sealing
    personal.forget("cus-1")
    assert personal.open_file(sealed) is None


def test_the_empty_text_stays_empty_and_a_sealed_text_is_not_sealed_twice() -> None:
    personal = PersonalData(MemoryKeyring())
    sealed = personal.seal("cus-1", "note")
    assert personal.seal("cus-1", "") == ""
    assert personal.seal("cus-1", sealed) == sealed


def test_a_message_contract_takes_a_sealed_text_of_the_longest_message() -> None:
    personal = PersonalData(MemoryKeyring())
    example: dict[str, object] = {
        "message_id": "msg-1",
        "conversation_id": "ord-1",
        "order_id": "ord-1",
        "customer_id": "cus-1",
        "sender_role": "customer",
        "kind": "message",
        "text": personal.seal("cus-1", "字" * 10000),
        "attachment_ids": [],
        "posted_at": "2026-11-27T09:30:00+00:00",
        "item_id": None,
    }
    assert MessagePostedSchema().validate(example) == {}
    assert MessagePostedSchema().validate({**example, "text": "x" * 10001})
    assert MessagePostedSchema().validate({**example, "text": "pii1:no-owner-part"})
