"""The shipment's rules and the rate book's versions, on the pure domain model."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.ratebook import RateBook, RateTableSet, VersionedTable
from services.shipping.domain.rates import ZoneRate
from services.shipping.domain.shipment import (
    MethodChanged,
    Parcel,
    QuoteCalculated,
    Shipment,
    ShipmentOpened,
    ShippingQuoted,
)
from shared.domain_errors import InvalidTransitionError, NotFoundError, ValidationError
from shared.money import Money

NOW = datetime(2026, 11, 27, tzinfo=UTC)
EMS_V1 = VersionedTable(1, DEFAULT_TABLES["EMS"])
TWO = [(Parcel("par-1", 500, 10, 10, 10), ["itm-1"]), (Parcel("par-2", 501, 10, 10, 10), [])]


def _opened(country: str = "FR") -> Shipment:
    return Shipment.replay("o1", [ShipmentOpened("o1", "c1", "EMS", country, NOW)])


def _run(shipment: Shipment | RateBook, events: list[object]) -> list[object]:
    for event in events:
        shipment.apply(event)
    return events


@pytest.mark.rule("R21")
def test_R21_the_quote_is_the_sum_of_the_parcels_fees_and_names_its_rate_version() -> None:
    calculation, quote = _opened().quote_parcels("q1", TWO, EMS_V1, NOW)
    assert isinstance(quote, ShippingQuoted) and isinstance(calculation, QuoteCalculated)
    assert quote.fee == Money(Decimal("40.50"), "EUR")
    assert (calculation.rate_version, calculation.zone) == (1, 3)
    assert [c.fee.amount for c in calculation.charges] == [Decimal("18.00"), Decimal("22.50")]
    assert calculation.charges[0].items == ["itm-1"]


@pytest.mark.rule("R21")
def test_R21_the_quote_uses_the_method_the_staff_changed_to() -> None:
    shipment = _opened()
    _run(shipment, shipment.change_method("AIR", "staff-1", NOW))
    with pytest.raises(ValidationError, match="rates are for EMS"):
        shipment.quote_parcels("q1", TWO, EMS_V1, NOW)
    _, quote = shipment.quote_parcels("q1", TWO, VersionedTable(3, DEFAULT_TABLES["AIR"]), NOW)
    assert isinstance(quote, ShippingQuoted)
    assert quote.method == "AIR" and quote.fee == Money(Decimal("27.20"), "EUR")


def test_a_new_method_drops_the_quote_until_repacked_and_nothing_changes_once_paid() -> None:
    shipment = _opened()
    assert shipment.change_method("EMS", "staff-1", NOW) == []
    _run(shipment, shipment.quote_parcels("q1", TWO, EMS_V1, NOW))
    _run(shipment, shipment.change_method("AIR", "staff-1", NOW))
    assert shipment.quote is None and shipment.method == "AIR"
    air = VersionedTable(3, DEFAULT_TABLES["AIR"])
    _run(shipment, shipment.quote_parcels("q2", TWO, air, NOW))
    _run(shipment, shipment.record_payment("b2", NOW))
    with pytest.raises(InvalidTransitionError, match="already paid"):
        shipment.change_method("SAL", "staff-1", NOW)
    with pytest.raises(InvalidTransitionError, match="already paid"):
        shipment.quote_parcels("q3", TWO, air, NOW)


def test_a_parcel_the_method_cannot_carry_or_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValidationError, match="par-1: EMS carries at most"):
        _opened().quote_parcels("q1", [(Parcel("par-1", 40_000, 10, 10, 10), [])], EMS_V1, NOW)
    with pytest.raises(ValidationError, match="no shipping to ZZ"):
        _opened("ZZ").quote_parcels("q1", TWO, EMS_V1, NOW)
    with pytest.raises(NotFoundError):
        Shipment("o9").change_method("AIR", "staff-1", NOW)
    assert isinstance(MethodChanged("o1", "AIR", "s", NOW), MethodChanged)


@pytest.mark.rule("R6")
def test_R6_shipping_is_refused_until_the_second_billing_is_paid() -> None:
    shipment = _opened()
    _run(shipment, shipment.quote_parcels("q1", TWO, EMS_V1, NOW))
    tracking = {"par-1": ("EMS", "EE1CN"), "par-2": ("EMS", "EE2CN")}
    with pytest.raises(InvalidTransitionError, match="not paid"):
        shipment.ship(tracking, NOW)
    _run(shipment, shipment.record_payment("b2", NOW))
    assert shipment.record_payment("b2", NOW) == []
    with pytest.raises(ValidationError, match="tracking numbers needed"):
        shipment.ship({"par-1": ("EMS", "EE1CN")}, NOW)
    with pytest.raises(ValidationError, match="its own tracking number"):
        shipment.ship({"par-1": ("EMS", "EE1CN"), "par-2": ("EMS", "EE1CN")}, NOW)
    [shipped] = _run(shipment, shipment.ship(tracking, NOW))
    links = [p.tracking_url for p in shipped.parcels]  # type: ignore[attr-defined]
    assert links == [f"https://t.17track.net/en#nums=EE{n}CN" for n in (1, 2)]
    with pytest.raises(InvalidTransitionError, match="already shipped"):
        shipment.ship(tracking, NOW)


@pytest.mark.rule("R21")
def test_R21_every_rate_change_is_a_new_version_and_old_versions_stay() -> None:
    book = RateBook("EMS")
    _run(book, book.set_table(DEFAULT_TABLES["EMS"], "system", NOW))
    dearer = dataclasses.replace(
        DEFAULT_TABLES["EMS"], zones=[ZoneRate(3, Decimal("20.00"), Decimal("5.00"), 3, 6)]
    )
    [event] = _run(book, book.set_table(dearer, "staff-1", NOW))
    assert isinstance(event, RateTableSet) and event.version == 2
    assert book.current == VersionedTable(2, dearer)
    assert book.at(1).table == DEFAULT_TABLES["EMS"]
    with pytest.raises(NotFoundError):
        book.at(3)
    with pytest.raises(NotFoundError):
        _ = RateBook("NONE").current


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"step_grams": 0}, "weights"),
        ({"max_grams": 100}, "max_grams"),
        ({"size_measure": "volume"}, "size_measure"),
        ({"zones": []}, "zones"),
        ({"zones": [ZoneRate(1, Decimal("-1"), Decimal("1"), 1, 2)]}, "negative"),
        ({"zones": [ZoneRate(1, Decimal("1"), Decimal("1"), 5, 2)]}, "transit"),
        ({"method": "AIR"}, "not EMS"),
    ],
)
def test_an_invalid_rate_table_is_refused(change: dict[str, object], message: str) -> None:
    table = dataclasses.replace(DEFAULT_TABLES["EMS"], **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=message):
        RateBook("EMS").set_table(table, "staff-1", NOW)
