"""Stored events come back as the events that were stored: every kind of field the services'
events use survives the trip to JSON and back, None included."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from shared.events.codec import from_json, to_json


class Status(Enum):
    OPEN = "open"
    PAID = "paid"


@dataclass(frozen=True)
class Line:
    item_id: str
    price: Decimal
    note: str | None = None


@dataclass(frozen=True)
class Happened:
    order_id: UUID
    at: datetime
    due: date
    status: Status
    lines: tuple[Line, ...]
    amounts: list[Decimal]
    by_item: dict[str, Line]
    first: Line | None
    extra: Any
    optional_due: date | None = None
    tags: tuple[str, ...] = field(default=())


def _through_json(value: object) -> Any:
    return json.loads(json.dumps(to_json(value)))


def test_an_event_with_every_kind_of_field_decodes_to_the_stored_one() -> None:
    event = Happened(
        order_id=UUID("12345678-1234-5678-1234-567812345678"),
        at=datetime(2026, 11, 27, 9, 30, tzinfo=UTC),
        due=date(2026, 12, 1),
        status=Status.PAID,
        lines=(Line("itm-1", Decimal("12.30")), Line("itm-2", Decimal("0.01"), "gift")),
        amounts=[Decimal("1.10"), Decimal("2")],
        by_item={"itm-1": Line("itm-1", Decimal("12.30"))},
        first=None,
        extra={"free": [1, "form"]},
        optional_due=date(2026, 12, 24),
        tags=("a", "b"),
    )

    decoded = from_json(Happened, _through_json(event))

    assert decoded == event
    assert isinstance(decoded.lines, tuple) and isinstance(decoded.amounts, list)
    assert str(decoded.lines[0].price) == "12.30"  # the exact decimal, not a float


def test_fields_missing_from_an_older_event_take_their_defaults() -> None:
    stored = _through_json(
        Happened(
            order_id=UUID(int=1),
            at=datetime(2026, 1, 1, tzinfo=UTC),
            due=date(2026, 1, 2),
            status=Status.OPEN,
            lines=(),
            amounts=[],
            by_item={},
            first=Line("itm-1", Decimal("1")),
            extra=None,
        )
    )
    del stored["optional_due"], stored["tags"]

    decoded = from_json(Happened, stored)

    assert decoded.optional_due is None and decoded.tags == ()
    assert decoded.first == Line("itm-1", Decimal("1"))
