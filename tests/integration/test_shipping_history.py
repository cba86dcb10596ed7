"""The shipping service against the real database: the shipment read model rebuilt from zero
equals the live one after a randomised history of many orders and rate changes."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable
from decimal import Decimal

import pytest

from services.shipping import handlers, rating
from services.shipping.bootstrap import DEFINITION
from services.shipping.domain.defaults import DEFAULT_TABLES
from services.shipping.domain.rates import ZoneRate
from services.shipping.domain.shipment import Parcel
from shared.domain_errors import DomainError
from shared.events.consumer import EventConsumer
from shared.events.incoming import Outcome
from shared.events.projections import ProjectionRunner
from shared.runtime import Context
from tests.support.infra import Infra
from tests.support.orders_context import consumer, deliver, message, service_context

Step = Callable[[], object]
STAFF = "staff-1"


def _parcels(rng: random.Random) -> list[tuple[Parcel, list[str]]]:
    return [
        (
            Parcel(
                f"par-{n}",
                rng.randint(100, 8000),
                rng.randint(5, 60),
                rng.randint(5, 40),
                rng.randint(5, 30),
            ),
            [f"itm-{n}"],
        )
        for n in range(1, rng.randint(1, 3) + 1)
    ]


def _rate_change(context: Context, rng: random.Random) -> None:
    method = rng.choice(sorted(DEFAULT_TABLES))
    table = DEFAULT_TABLES[method]
    bump = Decimal(rng.randint(0, 300)) / 100
    zones = [
        ZoneRate(z.zone, z.first_price + bump, z.step_price, z.transit_days_min, z.transit_days_max)
        for z in table.zones
    ]
    rating.set_rates(context, dataclasses.replace(table, zones=zones), STAFF)


def _life(context: Context, shipping: EventConsumer, rng: random.Random, n: int) -> list[Step]:
    """The steps of one order's random shipping life (a refused step ends it)."""
    order_id = f"ord-{n:04d}"
    inspected = message(
        "ItemsInspected",
        "orders",
        order_id,
        shipping_method=rng.choice(["EMS", "AIR", "SAL"]),
        destination_country=rng.choice(["FR", "JP", "US", "BR", "DE"]),
    )
    steps: list[Step] = [lambda: deliver(shipping, inspected)]
    if rng.random() < 0.3:
        method = rng.choice(sorted(DEFAULT_TABLES))
        steps.append(lambda: handlers.change_method(context, order_id, method, STAFF))
    parcels = _parcels(rng)
    steps.append(lambda: handlers.pack_and_quote(context, order_id, parcels, STAFF))
    paid = message(
        "PaymentReceived",
        "billing",
        order_id,
        kind="second",
        billing_id=f"bil-{order_id}-2",
        billing_settled=True,
    )
    steps.append(lambda: _applied(deliver(shipping, paid)))
    tracking = {
        parcel.parcel_id: ("EMS", f"EE{n:04d}{k}CN") for k, (parcel, _) in enumerate(parcels)
    }
    steps.append(lambda: handlers.ship(context, order_id, tracking, STAFF))
    if rng.random() < 0.5:
        del steps[rng.randint(1, len(steps)) :]  # this order stops somewhere on its way
    return steps


def _applied(outcome: Outcome) -> None:
    assert outcome is Outcome.APPLIED, outcome


@pytest.mark.rule("R6", "R21")
def test_the_shipment_read_model_rebuilt_from_zero_equals_the_live_one(infra: Infra) -> None:
    rng = random.Random(2026)
    with service_context(infra, DEFINITION) as context:
        shipping = consumer(context, DEFINITION)
        [runner] = [ProjectionRunner(context.store, p) for p in DEFINITION.projections()]
        lives = [_life(context, shipping, rng, n) for n in range(50)]
        stop = threading.Event()
        live = threading.Thread(target=runner.run, args=(stop,), kwargs={"idle_wait": 0.01})
        live.start()
        try:
            while lives:
                if rng.random() < 0.05:
                    _rate_change(context, rng)
                life = rng.choice(lives)
                try:
                    life.pop(0)()
                except DomainError:
                    life.clear()  # refused by a rule (a parcel too big for the method...)
                if not life:
                    lives.remove(life)
        finally:
            stop.set()
            live.join()
        runner.catch_up()
        assert runner.lag() == 0
        before = runner.snapshot()
        rows = before["shipment_summaries"]
        assert len(rows) == 50
        runner.rebuild()
        assert runner.snapshot() == before
        found = context.store.transact(
            lambda tx: tx.conn.execute(
                "SELECT array_agg(DISTINCT status) AS statuses, "
                "count(DISTINCT (method, rate_version)) FILTER (WHERE rate_version IS NOT NULL) "
                "AS priced_with "
                "FROM shipment_summaries"
            ).fetchone()
        )
        assert found is not None
        assert set(found["statuses"]) == {"to_pack", "awaiting_payment", "to_ship", "shipped"}
        assert found["priced_with"] > len(DEFAULT_TABLES)  # several versions of some method
