"""The envelope every integration event travels in, and its wire format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from shared.events.errors import InvalidEventError


@dataclass(frozen=True)
class Envelope:
    """An integration event with everything needed to route, order and trace it."""

    event_id: UUID
    type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID | None
    producer: str
    stream_id: str
    stream_version: int
    ordering_key: str
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        """`<producer>.<EventType>`: what services subscribe to. The relay publishes with
        this key and the event's partition appended (`Topology.routing_key`)."""
        return f"{self.producer}.{self.type}"


class EnvelopeSchema(Schema):
    """Wire form of `Envelope`; unknown keys are refused."""

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][A-Za-z]+$"))
    schema_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    correlation_id = fields.UUID(required=True)
    causation_id = fields.UUID(required=True, allow_none=True)
    producer = fields.String(required=True, validate=validate.Regexp(r"^[a-z]+$"))
    stream_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    stream_version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    ordering_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(required=True, keys=fields.String())


_SCHEMA = EnvelopeSchema()


def encode_envelope(envelope: Envelope) -> bytes:
    """The JSON bytes of an envelope (its data already in wire form)."""
    wire = _SCHEMA.dump(envelope)
    return json.dumps(wire, separators=(",", ":")).encode()


def decode_envelope(body: bytes) -> Envelope:
    """Parse and validate an envelope; the payload is validated by its contract afterwards."""
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEventError(f"message body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise InvalidEventError("message body is not a JSON object")
    try:
        loaded = _SCHEMA.load(raw)
    except SchemaError as exc:
        raise InvalidEventError(f"bad envelope: {exc.messages}") from exc
    return Envelope(**loaded)
