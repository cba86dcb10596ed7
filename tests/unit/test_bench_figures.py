"""The benchmarks' ratios and goals: a kit figure against its reference of the same run, the
system's CPU in empty hops of the floor, and SQL statements counted or said not counted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench.common import Env, judged, verdict
from bench.system.client import Sample
from bench.system.costs import Budget, _report_hops, hop_goal, in_hops
from bench.system.figures import _statements, requests_by_process, served_by
from bench.system.floor import Floor
from bench.system.statements import OWN_STATEMENTS, StatementCounter


def _collector() -> tuple[dict[str, dict[str, Any]], Any]:
    lines: dict[str, dict[str, Any]] = {}

    def put(name: str, value: float, unit: str, **detail: Any) -> None:
        lines[name] = {"value": value, "unit": unit, **detail}

    return lines, put


def test_a_figure_is_judged_as_a_ratio_to_its_reference() -> None:
    assert judged(2500, 5000, 0.5) == (0.5, True)
    ratio, met = judged(2400, 5000, 0.5)
    assert ratio == pytest.approx(0.48) and not met
    assert judged(100, 0, 0.5) == (0.0, False)  # nothing measured to judge against
    assert (verdict(True), verdict(False)) == ("met", "not met")


def test_a_ratio_line_names_its_figure_reference_goal_and_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = Env(run_id="unit")
    env.results.update(consume_events_per_s=450.0, broker_consume_ack_events_per_s=10_000.0)
    assert env.ratio(
        "consume_ratio", "consume_events_per_s", "broker_consume_ack_events_per_s", 0.12
    ) == pytest.approx(0.045)
    line = json.loads(capsys.readouterr().out)
    assert line == {
        "name": "consume_ratio",
        "value": 0.045,
        "unit": "ratio",
        "goal": 0.12,
        "met": False,
        "figure": "consume_events_per_s",
        "reference": "broker_consume_ack_events_per_s",
        "verdict": "not met",
    }


def test_no_ratio_is_printed_against_a_reference_not_measured_in_the_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = Env(run_id="unit")
    env.results["relay_publish_events_per_s"] = 2800.0
    ratio = env.ratio("relay_publish_ratio", "relay_publish_events_per_s", "broker_x", 0.5)
    out, err = capsys.readouterr()
    assert ratio is None and out == "" and "not measured in this run" in err


def test_each_request_is_counted_for_the_processes_it_crosses() -> None:
    assert served_by("POST /api/orders/orders") == ("gateway", "orders-api")
    assert served_by("GET /api/shipping/shipments/<order>") == ("gateway", "shipping-api")
    assert served_by("POST /webhooks/paypal") == ("gateway", "billing-api")
    assert served_by("POST /auth/signup") == ("gateway",)
    samples = [
        Sample(0, 1, route, 200, "action", False)
        for route in (
            "POST /api/orders/orders",
            "GET /api/orders/orders/<order>",
            "POST /webhooks/bank",
        )
    ]
    assert requests_by_process(samples) == {"gateway": 3, "orders-api": 2, "billing-api": 1}


def test_cpu_is_counted_in_empty_hops_of_the_floor_against_its_goals() -> None:
    assert in_hops(400, 0.8) == 500 and in_hops(400, 0) == 0
    assert (hop_goal("gateway"), hop_goal("orders-api")) == (2, 3)
    lines, put = _collector()
    budget = Budget(20, 30, Floor(1.0, 500), {"gateway": 30, "orders-api": 10})
    # 10 s of load, 1 s idle: CPU seconds per process over each
    load, idle = {"gateway": 0.15, "orders-api": 0.02}, {"gateway": 0.001}
    _report_hops(put, budget, 280.0, 250.0, 10.0, load, 1.0, idle)
    assert lines["cpu_hops_per_lifecycle"] == {
        "value": 280.0,
        "unit": "empty hops",
        "note": "cpu_ms_per_lifecycle / http_hop_floor_cpu_ms of the same run",
        "above_idle_hops": 250.0,
        "floor_ms": 1.0,
        "goal": "<=300",
        "met": True,
    }
    gateway, api = lines["cpu_hops_per_request.gateway"], lines["cpu_hops_per_request.orders-api"]
    assert (gateway["value"], gateway["met"], gateway["goal"]) == (5.0, False, "<=2")
    assert gateway["above_idle_hops"] == pytest.approx(4.67, abs=0.01)
    assert (api["value"], api["met"], api["requests"]) == (2.0, True, 10)


def test_statements_not_counted_are_said_so_not_faked() -> None:
    counter = StatementCounter("postgresql://nowhere/x", ["bench_x_orders"])
    counter.unavailable = "must be loaded via shared_preload_libraries"
    counter.mark("load")  # does nothing: nothing to count with
    lines, put = _collector()
    _statements(put, counter, 12)
    line = lines["sql_statements_per_lifecycle"]
    assert line["value"] == -1 and line["available"] is False
    assert "shared_preload_libraries" in line["note"] and "goal" not in line


def test_statements_counted_are_per_completed_lifecycle_against_the_goal() -> None:
    counter = StatementCounter("postgresql://nowhere/x", ["bench_x_orders"], unavailable=None)
    counter.marks = {"load": (1000, 0), "end": (1000 + 4000 + OWN_STATEMENTS, 0)}
    lines, put = _collector()
    _statements(put, counter, 10)
    line = lines["sql_statements_per_lifecycle"]
    assert (line["value"], line["statements"], line["entries_evicted"]) == (400, 4000, 0)
    assert line["available"] is True and line["met"] is True and line["goal"] == "<=450"
