"""Observability on the real system: one order's story found with one grep of its
correlation id (or its order id) across the processes' JSON logs, and every process's
metrics moving as the order moves."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from shared.events.topology import Topology
from shared.observability.context import HEADER
from tests.support.journey import ORDER, Journey
from tests.support.rebuild import definition
from tests.support.system import System, sign_up
from tests.support.waiting import eventually

# It reads every process's log and samples metrics twice a second: a system of its own.
pytestmark = pytest.mark.own_system

PLACED = str(uuid.uuid4())  # the caller's id for placing the order
PAID = str(uuid.uuid4())  # staff's id for recording the payment


@pytest.fixture(scope="module")
def system_env() -> dict[str, str]:
    return {"CNNECT_METRICS_INTERVAL_S": "0.5"}


@pytest.fixture(scope="module")
def journey(system: System) -> Journey:
    """An order placed through the gateway under PLACED, its first billing paid under PAID."""
    session, account = sign_up(system, "obs@example.com", "observed password 1")
    placed = session.post(
        system.url("gateway", "/api/orders/orders"),
        json=ORDER,
        headers={"X-CSRF-Token": account["csrf_token"], HEADER: PLACED},
        timeout=30,
    )
    assert placed.status_code == 201, placed.text
    assert placed.headers[HEADER] == PLACED
    journey = Journey(system, account["account_id"], order_id=placed.json()["order_id"])
    billing = journey.billings(1)[0]
    paid = requests.post(
        system.url("billing", f"/billings/{billing['billing_id']}/payments"),
        json={"amount": billing["amount"], "currency": billing["currency"]},
        headers={**journey.staff, HEADER: PAID},
        timeout=10,
    )
    assert paid.status_code == 201, paid.text
    assert paid.headers[HEADER] == PAID
    journey.wait_status("purchasing")
    return journey


def log_lines(system: System) -> dict[str, list[dict[str, Any]]]:
    """Every log line of every process, parsed, by process name (each must be JSON)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(system.log_dir.glob("*.log")):
        for text in path.read_text(errors="replace").splitlines():
            try:
                found[path.stem].append(json.loads(text))
            except ValueError:
                raise AssertionError(f"{path.name}: not a JSON line: {text[:200]}") from None
    return found


def grep(system: System, needle: str) -> set[str]:
    """The processes whose log files mention `needle` (what `grep -l` says)."""
    return {path.stem for path in system.log_dir.glob("*.log") if needle in path.read_text()}


def test_every_process_logs_one_json_object_per_line(system: System, journey: Journey) -> None:
    lines = log_lines(system)
    assert set(lines) == set(system.commands)
    for process, parsed in lines.items():
        for line in parsed:
            assert {"ts", "level", "logger", "msg", "service", "process"} <= set(line), line
            assert "correlation_id" in line, line
        services = {line["service"] for line in parsed}
        assert services == {process.split("-")[0]}, (process, services)


def test_one_grep_of_the_callers_correlation_id_follows_the_order_across_services(
    system: System, journey: Journey
) -> None:
    placed = {"gateway", "orders-api", "orders-relay", "billing-worker", "billing-relay"}
    placed |= {"messaging-worker"}
    eventually(lambda: _assert_superset(grep(system, PLACED), placed))
    paid = {"billing-api", "billing-relay", "orders-worker", "shipping-worker"}
    eventually(lambda: _assert_superset(grep(system, PAID), paid))
    for process, parsed in log_lines(system).items():
        for line in parsed:
            if PLACED in json.dumps(line):
                assert line["correlation_id"] == PLACED, (process, line)


def test_one_grep_of_the_order_id_tells_its_whole_story(system: System, journey: Journey) -> None:
    story = {"orders-api", "orders-relay", "billing-worker", "billing-api", "orders-worker"}
    eventually(lambda: _assert_superset(grep(system, journey.order_id), story))
    events = {
        (process, line.get("event_type"))
        for process, parsed in log_lines(system).items()
        for line in parsed
        if line.get("order_id") == journey.order_id
    }
    assert {
        ("orders-api", "OrderPlaced"),
        ("orders-relay", "OrderPlaced"),
        ("billing-worker", "OrderPlaced"),
        ("billing-worker", "BillingIssued"),
        ("billing-api", "PaymentReceived"),
        ("orders-worker", "PaymentReceived"),
    } <= events


def _assert_superset(found: set[str], expected: set[str]) -> None:
    assert expected <= found, f"missing: {sorted(expected - found)}"


def scrape(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics page, by name and labels."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    """A sample's value (0 when the series does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_an_api_counts_appended_events_and_times_requests_by_route(
    system: System, journey: Journey
) -> None:
    samples = scrape(system.metrics_url("orders-api"))
    appended = value(samples, "cnnect_events_appended_total", service="orders", type="OrderPlaced")
    assert appended >= 1
    route = {"service": "orders", "route": "/orders", "method": "POST", "status": "201"}
    assert value(samples, "cnnect_http_request_duration_seconds_count", **route) >= 1
    assert value(samples, "cnnect_http_request_duration_seconds_bucket", **route, le="+Inf") >= 1
    gateway = scrape(system.metrics_url("gateway"))
    forwarded = {"service": "gateway", "route": "/api/<service>/<path:rest>", "method": "POST"}
    assert value(gateway, "cnnect_http_request_duration_seconds_count", **forwarded, status="201")


def test_a_worker_counts_consumed_events_and_samples_lags_and_queue_depths(
    system: System, journey: Journey
) -> None:
    samples = scrape(system.metrics_url("billing-worker"))
    consumed = {"service": "billing", "type": "OrderPlaced", "outcome": "applied"}
    assert value(samples, "cnnect_events_consumed_total", **consumed) >= 1
    assert value(samples, "cnnect_events_appended_total", service="billing", type="BillingIssued")
    handled = {"service": "billing", "type": "OrderPlaced"}
    assert value(samples, "cnnect_event_handling_seconds_count", **handled) >= 1
    lags = {
        dict(labels)["projection"]
        for name, labels in samples
        if name == "cnnect_projection_lag_events" and dict(labels)["service"] == "billing"
    }
    assert lags == {p.name for p in definition("billing").projections()}
    for partition in Topology(system.namespace).queues("billing"):  # every partition queue
        queue = {"service": "billing", "queue": partition}
        assert ("cnnect_queue_messages", frozenset(queue.items())) in samples
        assert value(samples, "cnnect_queue_consumers", **queue) >= 1
    assert requests.get(system.metrics_url("billing-worker", "/healthz"), timeout=5).ok


def test_a_relay_counts_what_it_published(system: System, journey: Journey) -> None:
    samples = scrape(system.metrics_url("orders-relay"))
    assert value(samples, "cnnect_events_published_total", service="orders", type="OrderPlaced")
    assert requests.get(system.metrics_url("orders-relay", "/healthz"), timeout=5).ok


def test_the_gateway_keeps_service_metrics_inside_and_its_own_for_staff(system: System) -> None:
    assert requests.get(system.url("gateway", "/api/orders/metrics"), timeout=5).status_code == 404
    assert requests.get(system.url("gateway", "/metrics"), timeout=5).status_code == 401
    assert requests.get(system.url("gateway", "/readyz"), timeout=5).json()["status"] == "ready"
