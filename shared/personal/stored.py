"""Where a service keeps personal data, declared once: what the sealing migration seals in
data stored before sealing (shared/personal/migration.py), and what tests check is sealed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SealedEventFields:
    """Fields of one stored event type that are sealed. A path is dotted into the event's
    data, `[]` stepping into every element of a list (`items[].comment`). The owner (whose
    key seals them) is the event's field `owner` (`customer_id`), else the `customer_id` of
    the first event of its stream that has one."""

    event_type: str
    paths: tuple[str, ...]
    owner: str = "customer_id"


@dataclass(frozen=True)
class SealedColumns:
    """Text columns of a table that are sealed, under the customer in column `owner`."""

    table: str
    key: str
    owner: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class SealedFiles:
    """A bytea column of a table holding sealed files, under the customer in `owner`."""

    table: str
    key: str
    owner: str
    column: str


@dataclass(frozen=True)
class PersonalDataMap:
    """Everything personal a service stores."""

    events: tuple[SealedEventFields, ...] = ()
    columns: tuple[SealedColumns, ...] = ()
    files: tuple[SealedFiles, ...] = ()
