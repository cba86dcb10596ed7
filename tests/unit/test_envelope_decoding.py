"""The envelope's fast decoding accepts only what the schema accepts, with the same values: a
consumer judges a message the same whichever path decoded it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.events.contracts import CONTRACTS, decode_envelope
from shared.events.contracts.envelope import _SCHEMA, Envelope, _as_written, wire_form

WRITTEN: dict[str, Any] = {
    "event_id": str(uuid.UUID(int=1)),
    "type": "OrderPlaced",
    "schema_version": 2,
    "occurred_at": "2026-12-03T12:27:24.758048+00:00",
    "correlation_id": str(uuid.UUID(int=2)),
    "causation_id": None,
    "producer": "orders",
    "stream_id": "order-ord-1",
    "stream_version": 1,
    "ordering_key": "ord-1",
    "data": dict(CONTRACTS.contract("OrderPlaced").example),
}

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)
SPECIAL = st.sampled_from(
    [
        "",
        "Order\n",
        "orderPlaced",
        "x" * 201,
        "2026-12-03T12:27:24",
        "2026-12-03 12:27:24+01:00",
        "2026-12-03T12:27:24Z",
        "{00000000-0000-0000-0000-000000000003}",
        "not-a-uuid",
        0,
        True,
        1.0,
        "1",
    ]
)


def _schema_decoding(raw: dict[str, Any]) -> Envelope | None:
    errors = _SCHEMA.validate(raw)
    return None if errors else Envelope(**_SCHEMA.load(raw))


def test_the_relays_form_is_decoded_fast_as_the_schema_decodes_it() -> None:
    fast = _as_written(json.loads(json.dumps(WRITTEN)))
    assert fast is not None
    assert fast == _schema_decoding(json.loads(json.dumps(WRITTEN)))


@given(
    changes=st.dictionaries(st.sampled_from(sorted(WRITTEN)), JSON | SPECIAL, max_size=3),
    dropped=st.sets(st.sampled_from(sorted(WRITTEN)), max_size=1),
    extra=st.booleans(),
)
def test_whatever_the_fast_path_accepts_the_schema_accepts_with_the_same_values(
    changes: dict[str, Any], dropped: set[str], extra: bool
) -> None:
    raw = {k: v for k, v in {**WRITTEN, **changes}.items() if k not in dropped}
    if extra:
        raw["unexpected"] = 1
    raw = json.loads(json.dumps(raw))  # as it comes off the wire
    fast = _as_written(raw)
    if fast is not None:
        assert fast == _schema_decoding(raw)
        assert decode_envelope(json.dumps(raw).encode()) == fast


ENVELOPES = st.builds(
    Envelope,
    event_id=st.uuids(),
    type=st.from_regex(r"[A-Z][A-Za-z]{1,20}", fullmatch=True),
    schema_version=st.integers(1, 9),
    occurred_at=st.datetimes(timezones=st.timezones()),
    correlation_id=st.uuids(),
    causation_id=st.none() | st.uuids(),
    producer=st.sampled_from(["orders", "billing", "shipping", "messaging"]),
    stream_id=st.text(min_size=1, max_size=40),
    stream_version=st.integers(1, 10**6),
    ordering_key=st.text(min_size=1, max_size=40),
    data=st.dictionaries(st.text(max_size=10), JSON, max_size=4),
)


@given(ENVELOPES)
def test_an_envelope_is_written_as_the_schema_dumps_it_and_read_back_equal(
    envelope: Envelope,
) -> None:
    assert wire_form(envelope) == _SCHEMA.dump(envelope)
    assert decode_envelope(json.dumps(wire_form(envelope)).encode()) == envelope
