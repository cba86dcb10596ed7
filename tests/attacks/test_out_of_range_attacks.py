"""Values each field's type accepts but nothing can compute with, found while hunting for
other input that reaches a 500 (issue 14): a staff rate table priced 1e30 was stored, and
from then on every estimate, public page included, answered 500 (no fee could be rounded to
cents). Such a table is refused with a 400 saying which bound it passes, stores nothing, and
estimates keep answering."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support.stored import nothing_stored
from tests.support.system import System

PARCEL = {"country": "FR", "weight_grams": 900, "length_cm": 30, "width_cm": 20, "height_cm": 10}


def _ems(system: System) -> dict[str, Any]:
    methods = requests.get(system.url("shipping", "/methods"), timeout=10).json()["methods"]
    ems = next(m for m in methods if m["method"] == "EMS")
    return {k: v for k, v in ems.items() if k not in ("method", "rate_version")}


@pytest.mark.rule("R21")
def test_R21_a_rate_table_that_could_not_price_a_parcel_is_refused_and_estimates_answer(
    system: System,
) -> None:
    staff = system.token("staff-range-attack", "staff")
    ems = _ems(system)

    def priced(price: object) -> dict[str, Any]:
        return {**ems, "zones": [{**z, "first_price": price} for z in ems["zones"]]}

    unpriceable = [
        priced("1E+30"),
        priced("1E+999999"),
        priced(1e300),
        priced("123456789012345678901234567890"),
        {**ems, "max_grams": 2**63 - 1},
        {**ems, "max_length_cm": 2**63 - 1, "max_size_cm": 2**63 - 1},
        {**ems, "zones": [{**z, "transit_days_max": 2**63 - 1} for z in ems["zones"]]},
    ]
    answers = []
    with nothing_stored(system):
        for table in unpriceable:
            put = requests.put(
                system.url("shipping", "/methods/RANGEATTACK/rates"),
                json=table,
                headers=staff,
                timeout=10,
            )
            answers.append((put.status_code, put.json().get("error")))
    assert answers == [(400, "validation_error")] * len(unpriceable)
    for via, path in (("shipping", "/estimate"), ("gateway", "/api/shipping/estimate")):
        estimate = requests.post(system.url(via, path), json=PARCEL, timeout=10)
        assert estimate.status_code == 200, estimate.text
