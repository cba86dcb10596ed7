"""Plain dataclasses to JSON-ready dicts and back, driven by their type hints.

Stored events are written with this codec: Decimal and UUID travel as strings, datetimes as
ISO 8601 with their offset, nested dataclasses as objects, tuples and lists as arrays."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, TypeVar
from uuid import UUID

from shared.events.contracts.registry import ContractRegistry
from shared.events.store import NewEvent, RecordedEvent

T = TypeVar("T")


def to_json(value: Any) -> Any:
    """The JSON-ready form of a dataclass (or of any value inside one)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return to_json(value.value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_json(cls: type[T], data: Mapping[str, Any]) -> T:
    """Rebuild a dataclass of type `cls` from its JSON-ready form."""
    hints = _hints(cls)  # type: ignore[arg-type]
    kwargs = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.name in data
    }
    return cls(**kwargs)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value)
    if origin in (list, tuple):
        item = args[0] if args else Any
        converted = [_convert(item, v) for v in value]
        return tuple(converted) if origin is tuple else converted
    if origin is dict:
        return {k: _convert(args[1], v) for k, v in value.items()}
    if hint is Any:
        return value
    if dataclasses.is_dataclass(hint):
        return from_json(hint, value)  # type: ignore[arg-type]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    if hint is Decimal:
        return Decimal(value)
    if hint is UUID:
        return UUID(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    return value


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
