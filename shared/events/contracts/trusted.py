"""Payloads a consumer can trust, turned into Python values without validating them again.

A contract is checked once per boundary: the producer's codec validates an integration event
when it is appended (shared/events/codec.py), so a message in the current schema version from
the contract's own producer carries a payload that passed the same schema. Its consumer only
needs the Python values (Decimal, datetime, date, UUID) and the schema's defaults, which
`trusted_loader` builds from the schema's fields without running its validators: a fifth of
the cost of `Schema.load`. A payload not in the exact wire form the producer writes (a
missing field, an unknown key, a float where a string amount belongs) raises `NotAsWritten`,
and the caller then lets the schema judge it, so what is refused and why stays the schema's."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import Schema, fields, missing

Convert = Callable[[Any], Any]
Loader = Callable[[Any], dict[str, Any]]


class NotAsWritten(Exception):
    """The payload is not in the form the producer's validation leaves it in."""


class Unsupported(Exception):
    """A schema uses a field this module does not convert (its payloads always go through the
    schema)."""


def trusted_loader(schema: Schema) -> Loader:
    """A function turning a payload `schema` validated into what `schema.load` returns."""
    plan = []
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key, attribute = field.data_key or name, field.attribute or name
        plan.append((key, attribute, _converter(field), field.load_default, field.required))
    known = frozenset(key for key, *_ in plan)

    def load(data: Any) -> dict[str, Any]:
        if not isinstance(data, dict) or not data.keys() <= known:
            raise NotAsWritten("not an object of the schema's keys")
        loaded: dict[str, Any] = {}
        for key, attribute, convert, default, required in plan:
            if key in data:
                loaded[attribute] = convert(data[key])
            elif default is not missing:
                loaded[attribute] = default() if callable(default) else default
            # A missing field without a default: the schema says whether that is allowed.
            elif required:
                raise NotAsWritten(f"{key} is missing")
        return loaded

    return load


def _converter(field: fields.Field[Any]) -> Convert:
    convert = _value_converter(field)
    allow_none = field.allow_none

    def converted(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise NotAsWritten("null where a value belongs")
        return convert(value)

    return converted


def _exactly(kind: type, convert: Convert = lambda value: value) -> Convert:
    def checked(value: Any) -> Any:
        if type(value) is not kind:
            raise NotAsWritten(f"{type(value).__name__} where {kind.__name__} belongs")
        return convert(value)

    return checked


def _value_converter(field: fields.Field[Any]) -> Convert:
    """How one field's wire value becomes what the schema's load makes of it."""
    if isinstance(field, fields.Nested):
        if field.many:
            raise Unsupported("Nested(many=True)")
        return _exactly(dict, trusted_loader(_nested_schema(field)))
    if isinstance(field, fields.List):
        inner = _converter(field.inner)
        return _exactly(list, lambda values: [inner(v) for v in values])
    if isinstance(field, fields.Dict):
        keys = _converter(field.key_field) if field.key_field else (lambda k: k)
        values = _converter(field.value_field) if field.value_field else (lambda v: v)
        return _exactly(dict, lambda d: {keys(k): values(v) for k, v in d.items()})
    if isinstance(field, fields.Decimal):
        if field.places is not None:
            raise Unsupported("Decimal with places")
        return _exactly(str, _decimal)
    if isinstance(field, fields.DateTime):  # AwareDateTime too
        if field.format not in (None, "iso") or getattr(field, "default_timezone", None):
            raise Unsupported("DateTime not in ISO form, or with a default time zone")
        return _exactly(str, _aware)
    if isinstance(field, fields.Date):
        if field.format not in (None, "iso"):
            raise Unsupported("Date not in ISO form")
        return _exactly(str, dt.date.fromisoformat)
    if isinstance(field, fields.UUID):
        return _exactly(str, uuid.UUID)
    if isinstance(field, fields.String):  # Url and Email too
        return _exactly(str)
    if isinstance(field, fields.Boolean):
        return _exactly(bool)
    if isinstance(field, fields.Integer):
        return _exactly(int)
    raise Unsupported(type(field).__name__)


def _nested_schema(field: fields.Nested) -> Schema:
    schema = field.schema
    if field.only or field.exclude or not isinstance(schema, Schema):
        raise Unsupported("Nested with only/exclude")
    return schema


def _decimal(value: str) -> decimal.Decimal:
    try:
        number = decimal.Decimal(value)
    except decimal.InvalidOperation as exc:
        raise NotAsWritten("not a number") from exc
    if not number.is_finite():
        raise NotAsWritten("not a finite number")
    return number


def _aware(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise NotAsWritten("not an ISO time") from exc
    if moment.tzinfo is None:
        raise NotAsWritten("a time without its offset")
    return moment


def trusted_loaders(schemas: Mapping[str, Schema]) -> dict[str, Loader]:
    """A trusted loader for each schema whose fields this module converts."""
    loaders = {}
    for event_type, schema in schemas.items():
        try:
            loaders[event_type] = trusted_loader(schema)
        except Unsupported:
            continue
    return loaders
