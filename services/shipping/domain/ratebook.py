"""A shipping method's rate tables, versioned: every change is a new `RateTableSet`, so a quote
names the version it used and stays explainable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from services.shipping.domain.rates import RateTable
from shared.domain_errors import NotFoundError, ValidationError
from shared.events.aggregate import EventSourced

MEASURES = ("girth", "sum")
# Upper bounds of a rate table, far beyond any carrier's: within them, the dearest parcel a
# table carries (every side at MAX_CM, a divisor of 1, a step of 1 g, MAX_PRICE a step) costs
# about 1e21, which still rounds to cents in Decimal's 28 digits. A price of 1e30 did not: it
# was stored, and every estimate answered 500 from then on.
MAX_PRICE = Decimal(1_000_000)
MAX_GRAMS = 10_000_000  # 10 t
MAX_CM = 10_000  # 100 m, for a side and for the size (girth or sum of the sides)
MAX_DIVISOR = 1_000_000
MAX_TRANSIT_DAYS = 365


@dataclass(frozen=True)
class RateTableSet:
    """Version `version` of a method's rate table (stream `rates-<method>`)."""

    method: str
    version: int
    table: RateTable
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class VersionedTable:
    """A rate table with the version it has in its method's history."""

    version: int
    table: RateTable


@dataclass
class RateBook(EventSourced):
    """Every version of one method's rate table."""

    method: str
    tables: list[RateTableSet] = field(default_factory=list)
    version: int = 0

    def apply(self, event: object) -> None:
        """Fold one event into the state."""
        super().apply(event)
        if isinstance(event, RateTableSet):
            self.tables.append(event)

    @property
    def current(self) -> VersionedTable:
        """The rate table in force."""
        if not self.tables:
            raise NotFoundError(f"no shipping method {self.method}")
        latest = self.tables[-1]
        return VersionedTable(latest.version, latest.table)

    def at(self, version: int) -> VersionedTable:
        """The table as it was at `version`."""
        for event in self.tables:
            if event.version == version:
                return VersionedTable(event.version, event.table)
        raise NotFoundError(f"{self.method} has no rate table version {version}")

    def set_table(self, table: RateTable, actor: str, now: datetime) -> list[object]:
        """A new version of the table (validated)."""
        validate_table(table)
        if table.method != self.method:
            raise ValidationError(f"the table is for {table.method}, not {self.method}")
        return [RateTableSet(self.method, len(self.tables) + 1, table, actor, now)]


def validate_table(table: RateTable) -> None:
    """Refuse a table that cannot price a parcel sensibly."""
    problems: dict[str, object] = {}
    if min(table.first_grams, table.step_grams, table.max_grams) <= 0:
        problems["weights"] = "first, step and maximum grams must be positive"
    if table.max_grams < table.first_grams:
        problems["max_grams"] = "the maximum weight is below the first bracket"
    if min(table.max_length_cm, table.max_size_cm) <= 0 or table.volumetric_divisor < 0:
        problems["limits"] = "size limits must be positive and the divisor not negative"
    if table.size_measure not in MEASURES:
        problems["size_measure"] = f"one of {', '.join(MEASURES)}"
    zones = [z.zone for z in table.zones]
    if not zones or len(set(zones)) != len(zones):
        problems["zones"] = "at least one zone, each once"
    for z in table.zones:
        if z.first_price < 0 or z.step_price < 0:
            problems[f"zone {z.zone}"] = "prices cannot be negative"
        if not 0 < z.transit_days_min <= z.transit_days_max:
            problems[f"zone {z.zone} transit"] = "0 < min <= max days"
    problems.update(_beyond_bounds(table))
    if problems:
        detail = "; ".join(f"{k}: {v}" for k, v in problems.items())
        raise ValidationError(f"invalid rate table for {table.method}: {detail}", problems)


def _beyond_bounds(table: RateTable) -> dict[str, object]:
    """What in `table` passes an upper bound (see MAX_PRICE), each with its bound."""
    problems: dict[str, object] = {}
    if max(table.first_grams, table.step_grams, table.max_grams) > MAX_GRAMS:
        problems["weight bounds"] = f"first, step and maximum grams are at most {MAX_GRAMS}"
    if max(table.max_length_cm, table.max_size_cm) > MAX_CM:
        problems["size bounds"] = f"the side and size limits are at most {MAX_CM} cm"
    if table.volumetric_divisor > MAX_DIVISOR:
        problems["volumetric_divisor"] = f"at most {MAX_DIVISOR}"
    for z in table.zones:
        if max(z.first_price, z.step_price) > MAX_PRICE:
            problems[f"zone {z.zone} prices"] = f"at most {MAX_PRICE} {table.currency}"
        if z.transit_days_max > MAX_TRANSIT_DAYS:
            problems[f"zone {z.zone} transit days"] = f"at most {MAX_TRANSIT_DAYS}"
    return problems
