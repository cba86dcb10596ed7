"""Rate tables in the shipping database: seeding the defaults, reading the versions in force,
staff changes, and the public estimate (R22)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.ratebook import RateBook, RateTableSet, VersionedTable
from services.shipping.domain.rates import Charge, Dimensions, NotCarriedError, RateTable, charge
from services.shipping.domain.zones import zone_of
from shared.domain_errors import ValidationError
from shared.events.codec import EventCodec
from shared.events.contracts import CONTRACTS
from shared.events.repository import Repository, decide_again, meta
from shared.events.store import Transaction
from shared.runtime import Context

RATES: Repository[RateBook] = Repository(
    "rates", EventCodec((RateTableSet,), CONTRACTS), RateBook.replay
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS shipping_methods (
    method   text PRIMARY KEY,
    added_at timestamptz NOT NULL DEFAULT now()
);
"""
SEEDED_BY = "system:defaults"


def _ensure(tx: Transaction, now: datetime, method: str) -> RateBook:
    """The method's rate history, its default table stored first if it has none yet."""
    book = RATES.get(tx, method)
    if not book.tables and method in DEFAULT_TABLES:
        new = book.set_table(DEFAULT_TABLES[method], SEEDED_BY, now)
        RATES.save(tx, method, book, new, meta(SEEDED_BY))
        tx.conn.execute(
            "INSERT INTO shipping_methods (method) VALUES (%s) ON CONFLICT DO NOTHING", (method,)
        )
    return book


def seed_defaults(ctx: Context) -> None:
    """Store the default rate table of every method that has none yet (idempotent)."""
    decide_again(ctx.store, lambda tx: [_ensure(tx, ctx.clock.now(), m) for m in DEFAULT_TABLES])


def books(ctx: Context) -> list[RateBook]:
    """Every method's rate history (the defaults seeded first if missing)."""

    def load(tx: Transaction) -> list[RateBook]:
        now = ctx.clock.now()
        found = {m: _ensure(tx, now, m) for m in DEFAULT_TABLES}
        rows = tx.conn.execute("SELECT method FROM shipping_methods ORDER BY method").fetchall()
        for row in rows:
            if row["method"] not in found:
                found[row["method"]] = RATES.get(tx, row["method"])
        return [found[m] for m in sorted(found) if found[m].tables]

    return decide_again(ctx.store, load)


def current_rates(ctx: Context, tx: Transaction, method: str) -> VersionedTable:
    """The table in force for `method` (NotFoundError for an unknown method)."""
    return _ensure(tx, ctx.clock.now(), method).current


def rates_at(tx: Transaction, method: str, version: int) -> VersionedTable:
    """The table of `method` as it was at `version`."""
    return RATES.get(tx, method).at(version)


def set_rates(ctx: Context, table: RateTable, actor: str) -> int:
    """Staff store a new version of a method's table; returns its version."""

    def work(tx: Transaction) -> int:
        book = _ensure(tx, ctx.clock.now(), table.method)
        RATES.save(
            tx, table.method, book, book.set_table(table, actor, ctx.clock.now()), meta(actor)
        )
        tx.conn.execute(
            "INSERT INTO shipping_methods (method) VALUES (%s) ON CONFLICT DO NOTHING",
            (table.method,),
        )
        return book.current.version

    return decide_again(ctx.store, work)


@dataclass(frozen=True)
class Offer:
    """One method that can carry the parcel, with its approximate fee."""

    method: str
    name: str
    rate_version: int
    zone: int
    charge: Charge


def estimate(ctx: Context, country: str, parcel: Dimensions) -> list[Offer]:
    """Every method that can carry `parcel` to `country`, cheapest first (R22)."""
    if parcel.weight_grams <= 0:
        raise ValidationError("the weight must be a positive number of grams")
    if min(parcel.length_cm, parcel.width_cm, parcel.height_cm) <= 0:
        raise ValidationError("every side must be a positive number of centimetres")
    zone = zone_of(country)
    if zone is None:
        raise ValidationError(f"we do not ship to {country!r}")
    offers, reasons = [], []
    for book in books(ctx):
        current = book.current
        try:
            found = charge(parcel, current.table, zone)
        except NotCarriedError as exc:
            reasons.append(str(exc))
            continue
        offers.append(Offer(book.method, current.table.name, current.version, zone, found))
    if not offers:
        raise ValidationError("no method can carry this parcel: " + "; ".join(reasons))
    return sorted(offers, key=lambda o: (o.charge.fee.amount, o.method))
