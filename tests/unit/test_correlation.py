"""The correlation id: taken from the caller when it is a UUID, minted otherwise, scoped to
the request (or message) being handled, returned to the caller, and passed on by the gateway."""

from __future__ import annotations

import threading
import uuid

from flask import Flask, abort
from prometheus_client import REGISTRY

from services.gateway.adapters.upstream import with_correlation
from shared.observability.context import (
    HEADER,
    bind,
    correlated,
    correlation_id,
    current_correlation_id,
    current_order_id,
    parse_correlation_id,
)
from shared.observability.web import UNMATCHED, instrument

CALLER_ID = "4F1C7A2E-5A5B-4F55-9D1B-1F0E1A2B3C4D"


def test_a_caller_uuid_is_taken_in_canonical_form_and_anything_else_refused() -> None:
    assert parse_correlation_id(CALLER_ID) == CALLER_ID.lower()
    assert parse_correlation_id("not-a-uuid") is None
    assert parse_correlation_id("") is None
    assert parse_correlation_id(None) is None
    assert parse_correlation_id("a" * 500) is None


def test_the_scope_sets_and_then_restores_the_ids() -> None:
    assert current_correlation_id() is None
    with correlated("outer", "ord-1"):
        with correlated("inner"):
            assert (current_correlation_id(), current_order_id()) == ("inner", None)
            bind("bound", "ord-2")
            assert (current_correlation_id(), current_order_id()) == ("bound", "ord-2")
        assert (current_correlation_id(), current_order_id()) == ("outer", "ord-1")
    assert (current_correlation_id(), current_order_id()) == (None, None)


def test_events_appended_in_a_scope_carry_its_id_and_outside_one_a_fresh_id() -> None:
    with correlated("in-request"):
        assert correlation_id() == "in-request"
    first, second = correlation_id(), correlation_id()
    assert first != second and uuid.UUID(first) and uuid.UUID(second)


def test_each_thread_has_its_own_id() -> None:
    seen: list[str | None] = []
    with correlated("main-thread"):
        thread = threading.Thread(target=lambda: seen.append(current_correlation_id()))
        thread.start()
        thread.join()
    assert seen == [None]


def _app() -> Flask:
    app = Flask("observed")
    instrument(app, "unit")

    @app.get("/orders/<order_id>")
    def order(order_id: str) -> dict[str, str | None]:
        return {"correlation_id": current_correlation_id(), "order_id": current_order_id()}

    @app.get("/fails")
    def fails() -> str:
        abort(409)

    return app


def test_a_request_runs_under_the_callers_id_and_returns_it() -> None:
    answer = _app().test_client().get("/orders/ord-9", headers={HEADER: CALLER_ID})
    assert answer.json == {"correlation_id": CALLER_ID.lower(), "order_id": "ord-9"}
    assert answer.headers[HEADER] == CALLER_ID.lower()
    assert current_correlation_id() is None  # nothing left behind after the request


def test_a_request_without_a_usable_id_gets_a_new_one() -> None:
    client = _app().test_client()
    for headers in ({}, {HEADER: "'; DROP TABLE"}):
        answer = client.get("/orders/ord-9", headers=headers)
        assert answer.json is not None
        assert answer.headers[HEADER] == answer.json["correlation_id"]
        assert uuid.UUID(answer.headers[HEADER])


def test_requests_are_timed_by_route_method_and_status() -> None:
    client = _app().test_client()

    def count(route: str, status: str) -> float:
        labels = {"service": "unit", "route": route, "method": "GET", "status": status}
        found = REGISTRY.get_sample_value("cnnect_http_request_duration_seconds_count", labels)
        return found or 0.0

    before = (count("/orders/<order_id>", "200"), count("/fails", "409"), count(UNMATCHED, "404"))
    client.get("/orders/a")
    client.get("/orders/b")
    client.get("/fails")
    client.get("/nowhere")
    after = (count("/orders/<order_id>", "200"), count("/fails", "409"), count(UNMATCHED, "404"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]


def test_the_gateway_passes_its_own_id_on_never_the_clients_copy() -> None:
    with correlated("gateway-id"):
        headers = with_correlation({"x-correlation-id": "client-id", "Accept": "text/html"})
    assert headers == {"Accept": "text/html", HEADER: "gateway-id"}
    assert with_correlation({"X-Correlation-Id": "client-id"}) == {}
