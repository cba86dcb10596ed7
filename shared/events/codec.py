"""Plain dataclasses to JSON-ready dicts and back, driven by their type hints.

Stored events are written with this codec: Decimal and UUID travel as strings, datetimes as
ISO 8601 with their offset, nested dataclasses as objects, tuples and lists as arrays."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar
from uuid import UUID

from shared.events.contracts.registry import ContractRegistry
from shared.events.store import NewEvent, RecordedEvent

T = TypeVar("T")
Convert = Callable[[Any], Any]  # one prepared step of encoding or decoding


def to_json(value: Any) -> Any:
    """The JSON-ready form of a dataclass (or of any value inside one)."""
    kind: Any = type(value)  # (typeshed does not see a type as Hashable)
    return _encoder(kind)(value)


@cache
def _encoder(cls: Any) -> Convert:
    """How values of exactly `cls` become JSON-ready (chosen once per type, as decoding is)."""
    if dataclasses.is_dataclass(cls):
        names = tuple(f.name for f in dataclasses.fields(cls))
        return lambda value: {name: to_json(getattr(value, name)) for name in names}
    if issubclass(cls, Enum):
        return lambda value: to_json(value.value)
    if issubclass(cls, Decimal | UUID):
        return str
    if issubclass(cls, datetime | date):
        return lambda value: value.isoformat()
    if issubclass(cls, list | tuple):
        return lambda value: [to_json(v) for v in value]
    if issubclass(cls, Mapping):
        return lambda value: {str(k): to_json(v) for k, v in value.items()}
    return _as_is


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass of type `cls` from its JSON-ready form."""
    kind: Any = cls
    decoded: T = _dataclass_decoder(kind)(data)
    return decoded


# Why compiled decoders: every command loads its aggregate's whole stream and every consumer
# and projection decodes each event, so reading the type hints of every field of every event
# (get_type_hints, get_origin, is_dataclass) was a tenth of a worker's CPU. Each hint is read
# once per process; decoding is then a walk over prepared functions.
@cache
def _dataclass_decoder(cls: Any) -> Convert:
    hints = typing.get_type_hints(cls)
    fields = tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls))

    def decode(data: Mapping[str, Any]) -> Any:
        return cls(**{name: convert(data[name]) for name, convert in fields if name in data})

    return decode


@cache
def _decoder(hint: Any) -> Convert:
    """The function turning a JSON-ready value into one of type `hint` (None stays None)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _decoder(next(a for a in args if a is not type(None)))
    if origin in (list, tuple):
        item = _decoder(args[0] if args else Any)
        container: Callable[[Iterable[Any]], Any] = tuple if origin is tuple else list
        return _none_kept(lambda value: container(item(v) for v in value))
    if origin is dict:
        entry = _decoder(args[1])
        return _none_kept(lambda value: {k: entry(v) for k, v in value.items()})
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _none_kept(_dataclass_decoder(hint))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _none_kept(hint)
    parse = _SCALARS.get(hint)
    return _none_kept(parse) if parse is not None else _as_is


_SCALARS: dict[Any, Convert] = {
    Decimal: Decimal,
    UUID: UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
}


def _as_is(value: Any) -> Any:
    return value


def _none_kept(convert: Convert) -> Convert:
    def decode(value: Any) -> Any:
        return None if value is None else convert(value)

    return decode


class EventCodec:
    """Maps a service's event dataclasses to stored events and back.

    An event whose type is an integration contract is validated against it when appended:
    an invalid integration event is never stored, so the relay never meets one."""

    def __init__(self, classes: Iterable[type], contracts: ContractRegistry) -> None:
        self._classes = {cls.__name__: cls for cls in classes}
        self._contracts = contracts

    def encode(self, event: object, metadata: Mapping[str, Any]) -> NewEvent:
        """The stored form of `event`."""
        name = type(event).__name__
        if name not in self._classes:
            raise TypeError(f"{name} is not an event of this service")
        data = to_json(event)
        if name in self._contracts:
            data = self._contracts.check(name, data)
            version = self._contracts.contract(name).version
        else:
            version = getattr(event, "schema_version", 1)
        return NewEvent(name, data, schema_version=version, metadata=dict(metadata))

    def decode(self, event: RecordedEvent) -> Any:
        """The dataclass of a stored event (already upcast by the store)."""
        return from_json(self._classes[event.type], event.data)

    def knows(self, event_type: str) -> bool:
        """True when `event_type` is one of this service's events."""
        return event_type in self._classes
