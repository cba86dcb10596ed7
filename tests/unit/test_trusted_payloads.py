"""A consumer only converts a payload its producer validated when appending it, and gets what
the schema's load would give; anything else is judged by the schema as before."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.events.contracts import CONTRACTS
from shared.events.contracts.trusted import NotAsWritten, trusted_loader
from shared.events.errors import InvalidEventError

CONTRACT_TYPES = sorted(c.type for c in CONTRACTS)


def _schema(event_type: str) -> Any:
    return CONTRACTS.contract(event_type).schema()


@pytest.mark.parametrize("event_type", CONTRACT_TYPES)
def test_a_written_payload_converts_to_what_the_schema_loads(event_type: str) -> None:
    schema = _schema(event_type)
    written = json.loads(json.dumps(CONTRACTS.contract(event_type).example))
    assert trusted_loader(schema)(written) == schema.load(written)
    defaulted = {
        name: field.load_default
        for name, field in schema.fields.items()
        if field.load_default is not None and not callable(field.load_default)
    }
    without_defaults = {k: v for k, v in written.items() if k not in defaulted}
    if without_defaults != written and not schema.validate(without_defaults):
        assert trusted_loader(schema)(without_defaults) == schema.load(without_defaults)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@given(
    event_type=st.sampled_from(CONTRACT_TYPES),
    data=st.data(),
)
def test_whatever_the_schema_accepts_converts_the_same_or_goes_to_the_schema(
    event_type: str, data: st.DataObject
) -> None:
    schema = _schema(event_type)
    written = json.loads(json.dumps(CONTRACTS.contract(event_type).example))
    keys = sorted(written)
    changes = data.draw(st.dictionaries(st.sampled_from(keys), JSON, max_size=2))
    dropped = data.draw(st.sets(st.sampled_from(keys), max_size=1))
    raw = {k: v for k, v in {**written, **changes}.items() if k not in dropped}
    if schema.validate(raw):
        return  # refused by the schema: the consumer never trusts what it did not write
    try:
        converted = trusted_loader(schema)(raw)
    except NotAsWritten:
        return  # left to the schema, which accepts it
    assert converted == schema.load(raw)


def test_a_payload_from_another_producer_or_an_old_version_is_validated_again() -> None:
    contract = CONTRACTS.contract("OrderPlaced")
    example = json.loads(json.dumps(contract.example))
    zero = {**example, "items": [{**example["items"][0], "quantity": 0}]}
    with pytest.raises(InvalidEventError):
        CONTRACTS.load("OrderPlaced", contract.version, zero, producer="billing")
    with pytest.raises(InvalidEventError):
        CONTRACTS.load("OrderPlaced", contract.version, zero)
    # From its producer, the payload passed this schema when it was appended: only converted.
    loaded = CONTRACTS.load("OrderPlaced", contract.version, zero, producer=contract.producer)
    assert loaded["items"][0]["quantity"] == 0


def test_a_payload_not_in_its_written_form_is_judged_by_the_schema() -> None:
    contract = CONTRACTS.contract("PaymentReceived")
    example = json.loads(json.dumps(contract.example))
    for broken in (
        {**example, "amount": {"amount": "x", "currency": "EUR"}},
        {k: v for k, v in example.items() if k != "kind"},
        {**example, "unexpected": 1},
    ):
        with pytest.raises(InvalidEventError):
            CONTRACTS.load("PaymentReceived", contract.version, broken, producer="billing")
