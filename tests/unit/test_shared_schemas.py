"""A request schema shared by every request (shared/web/app.py's json_body given a class)
answers each load as a schema of its own would, with threads loading through it at once."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from marshmallow import Schema, ValidationError

from services.orders.entrypoints.schemas import PlaceOrderRequest
from shared.web.app import shared_schema
from tests.support.journey import ORDER


def _bodies() -> list[dict[str, Any]]:
    bodies = []
    for n in range(40):
        body = copy.deepcopy(ORDER)
        body["items"][0]["quantity"] = n % 7  # 0 is refused
        body["items"][1]["title"] = f"item {n}" if n % 5 else ""  # so is an empty title
        if n % 9 == 0:
            body["items"][0]["unit_price_cny"] = "not a price"
        bodies.append(body)
    return bodies


def _outcome(schema: Schema, body: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "loaded", schema.load(body)
    except ValidationError as exc:
        return "refused", exc.messages


def test_a_shared_schema_loads_as_a_fresh_one_under_concurrent_requests() -> None:
    bodies = _bodies() * 10
    expected = [_outcome(PlaceOrderRequest(), body) for body in bodies]
    shared = shared_schema(PlaceOrderRequest)
    assert shared is shared_schema(PlaceOrderRequest)
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda body: _outcome(shared, body), bodies))
    assert found == expected
    assert {kind for kind, _ in expected} == {"loaded", "refused"}
