"""The registry of contracts: which producer emits which type, at which version, how old
versions are upcast, and validation of payloads at the message boundary."""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from shared.events.contracts.trusted import NotAsWritten, trusted_loaders
from shared.events.errors import FutureSchemaVersionError, InvalidEventError, UnknownEventTypeError

Payload = Mapping[str, Any]
UpcastStep = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Contract:
    """One integration event type: its producer, current version, schema and history."""

    type: str
    producer: str
    version: int
    schema: builtins.type[Schema]
    example: Payload
    # upcasters[n] turns a version-n payload into version n+1. Stored events are never
    # rewritten: they are upcast each time they are read.
    upcasters: Mapping[int, UpcastStep] = field(default_factory=dict)
    old_examples: Mapping[int, Payload] = field(default_factory=dict)


class ContractRegistry:
    """Looks contracts up by type; validates, upcasts and serialises payloads."""

    def __init__(self, contracts: Iterable[Contract]) -> None:
        self._contracts = {c.type: c for c in contracts}
        self._schemas = {c.type: c.schema() for c in self._contracts.values()}
        self._trusted = trusted_loaders(self._schemas)

    def __iter__(self) -> Any:
        return iter(self._contracts.values())

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._contracts

    def contract(self, event_type: str) -> Contract:
        """The contract of `event_type`."""
        try:
            return self._contracts[event_type]
        except KeyError:
            raise UnknownEventTypeError(f"no contract for event type {event_type!r}") from None

    def published_by(self, producer: str) -> frozenset[str]:
        """The integration event types `producer` publishes."""
        return frozenset(c.type for c in self._contracts.values() if c.producer == producer)

    def upcast(self, event_type: str, schema_version: int, data: Payload) -> tuple[int, Payload]:
        """`data` brought to the current version; types without a contract pass unchanged."""
        contract = self._contracts.get(event_type)
        if contract is None:
            return schema_version, data
        if schema_version > contract.version:
            raise FutureSchemaVersionError(
                f"{event_type} schema version {schema_version} is newer than "
                f"the {contract.version} this code understands"
            )
        payload = dict(data)
        for version in range(schema_version, contract.version):
            step = contract.upcasters.get(version)
            if step is None:
                raise InvalidEventError(f"{event_type} has no upcaster from version {version}")
            payload = step(payload)
        return contract.version, payload

    def load(
        self, event_type: str, schema_version: int, data: Payload, *, producer: str = ""
    ) -> dict[str, Any]:
        """Validate a payload (upcast first) and return it with Python values.

        A payload in the current version from the contract's own `producer` was validated when
        it was appended: it is only converted, unless it is not in the form written then."""
        contract = self.contract(event_type)
        if producer == contract.producer and schema_version == contract.version:
            trusted = self._trusted.get(event_type)
            if trusted is not None:
                with contextlib.suppress(NotAsWritten):
                    return trusted(data)
        _, payload = self.upcast(event_type, schema_version, data)
        try:
            loaded: dict[str, Any] = self._schemas[event_type].load(payload)
        except SchemaError as exc:
            raise InvalidEventError(f"invalid {event_type}: {exc.messages}") from exc
        return loaded

    def check(self, event_type: str, data: Payload) -> dict[str, Any]:
        """Validate a current-version payload in wire form; return it normalised."""
        loaded = self.load(event_type, self.contract(event_type).version, data)
        return self.dump(event_type, loaded)

    def dump(self, event_type: str, loaded: Payload) -> dict[str, Any]:
        """The wire form of a payload `load` returned (already valid: nothing is checked)."""
        dumped: dict[str, Any] = self._schemas[event_type].dump(loaded)
        return dumped
