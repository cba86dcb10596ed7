"""Shipping methods, their versioned rate tables, and the public fee estimate (R22)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from services.shipping import rating
from services.shipping.domain.ratebook import VersionedTable
from services.shipping.domain.rates import Dimensions, RateTable, ZoneRate
from services.shipping.entrypoints.schemas import METHOD, EstimateRequest, RateTableRequest
from shared.domain_errors import NotFoundError
from shared.events.codec import to_json
from shared.web.app import json_body, require_staff, service_context
from shared.web.idempotency import idempotent

bp = Blueprint("shipping_rates", __name__)


def _table_json(versioned: VersionedTable) -> dict[str, Any]:
    body: dict[str, Any] = to_json(versioned.table)
    return {"rate_version": versioned.version, **body}


@bp.get("/methods")
def list_methods() -> ResponseReturnValue:
    """Every method with its rate table in force (public)."""
    return jsonify({"methods": [_table_json(b.current) for b in rating.books(service_context())]})


@bp.get("/methods/<method>/rates/<int:version>")
def rates_version(method: str, version: int) -> ResponseReturnValue:
    """One version of a method's rate table (public): what an old quote was priced with."""
    table = service_context().store.transact(lambda tx: rating.rates_at(tx, method, version))
    return jsonify(_table_json(table))


@bp.put("/methods/<method>/rates")
@idempotent
def set_rates(method: str) -> ResponseReturnValue:
    """Staff store a new version of a method's rate table."""
    staff = require_staff()
    if not re.match(METHOD, method):
        raise NotFoundError(f"no shipping method {method}")
    body = json_body(RateTableRequest)
    zones = [ZoneRate(**z) for z in body.pop("zones")]
    table = RateTable(method=method, zones=zones, **body)
    version = rating.set_rates(service_context(), table, staff.subject)
    return jsonify({"method": method, "rate_version": version})


def _estimate_input() -> dict[str, Any]:
    if request.method == "POST":
        loaded: dict[str, Any] = json_body(EstimateRequest)
        return loaded
    args: dict[str, Any] = EstimateRequest().load(request.args.to_dict())
    return args


@bp.route("/estimate", methods=["GET", "POST"])
def estimate() -> ResponseReturnValue:
    """The approximate fee of every method that can carry the parcel (public, R22)."""
    query = _estimate_input()
    parcel = Dimensions(
        query["weight_grams"], query["length_cm"], query["width_cm"], query["height_cm"]
    )
    offers = rating.estimate(service_context(), query["country"].upper(), parcel)
    return jsonify(
        {
            "country": query["country"].upper(),
            "zone": offers[0].zone,
            "offers": [
                {
                    "method": o.method,
                    "name": o.name,
                    "rate_version": o.rate_version,
                    "fee": {"amount": str(o.charge.fee.amount), "currency": o.charge.fee.currency},
                    "chargeable_weight_grams": o.charge.chargeable_grams,
                    "transit_days": {
                        "min": o.charge.transit_days_min,
                        "max": o.charge.transit_days_max,
                    },
                }
                for o in offers
            ],
        }
    )
