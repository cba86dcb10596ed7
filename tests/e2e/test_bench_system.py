"""`make bench-system`, briefly and gently: the figures come out as JSON lines, nothing
fails, and the chart is drawn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.infra import Infra
from tests.support.system import ROOT

# The benchmark starts a whole system of its own: it runs after the shared one stopped.
pytestmark = pytest.mark.own_system

TIMEOUT_S = 240  # about 30 s on a quiet 2-core machine; room for a busy one
REQUIRED = (
    "lifecycles_per_s",
    "http_latency_ms_p50",
    "http_latency_ms_p99",
    "http_latency_ms_p99.POST_/api/orders/orders",
    "http_latency_ms_p99.POST_/webhooks/paypal",
    "http_latency_ms_p99.POST_/webhooks/bank",
    "projection_catch_up_s",
    "peak_rss_mb.gateway",
    "peak_rss_mb.orders-worker",
    "errors",
    "http_hop_floor_cpu_ms",
    "cpu_budget_ms_per_lifecycle",
    "cpu_hops_per_lifecycle",
    "cpu_hops_per_request.gateway",
    "cpu_hops_per_request.orders-api",
    "cpu_hops_per_request.billing-api",
    "sql_statements_per_lifecycle",
    "personal_data_cipher_ms_per_lifecycle",
    "personal_data_key_reads_per_lifecycle",
)


@pytest.mark.timeout(TIMEOUT_S + 120)
def test_a_short_gentle_run_reports_every_figure_without_errors(
    infra: Infra, tmp_path: Path
) -> None:
    chart = tmp_path / "bench-system.png"
    env = {
        **os.environ,
        "CNNECT_POSTGRES_URL": infra.postgres_url,
        "CNNECT_AMQP_URL": infra.amqp_url,
        "CNNECT_ARTIFACTS": str(tmp_path),
    }
    command = [sys.executable, "-m", "bench.system", "--duration", "6", "--step-s", "6"]
    command += ["--start-rate", "1", "--max-rate", "1", "--warm-customers", "2"]
    command += ["--idle-s", "1", "--drain-s", "30", "--floor-s", "1", "--chart", str(chart)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        # SIGTERM, not the SIGKILL of subprocess.run's timeout: the benchmark then stops its
        # processes and drops its databases and namespace.
        process.terminate()
        stdout, stderr = process.communicate(timeout=60)
        pytest.fail(f"bench-system took over {TIMEOUT_S}s: {stderr[-3000:]}")
    assert process.returncode == 0, stderr[-3000:]
    figures = {}
    for line in stdout.splitlines():
        figure = json.loads(line)
        assert {"name", "value", "unit"} <= figure.keys(), line
        figures[figure["name"]] = figure
    missing = [name for name in REQUIRED if name not in figures]
    assert not missing, f"missing {missing}; stderr: {stderr[-2000:]}"
    assert figures["errors"]["value"] == 0, figures["errors"]
    assert figures["lifecycles_completed"]["value"] >= 4
    assert figures["projection_catch_up_s"]["value"] >= 0
    floor, budget = figures["http_hop_floor_cpu_ms"], figures["cpu_budget_ms_per_lifecycle"]
    assert floor["value"] > 0 and floor["requests"] > 100, floor
    assert budget["value"] == 1000 * (os.cpu_count() or 1) / 20, budget
    hops = 2 * floor["value"] * budget["requests_per_lifecycle"]
    assert budget["empty_hops_ms"] == pytest.approx(hops, abs=0.2), budget
    # The system's CPU in empty hops of the floor measured in the same run.
    hops, spent = figures["cpu_hops_per_lifecycle"], figures["cpu_ms_per_lifecycle"]
    assert hops["value"] == pytest.approx(spent["value"] / floor["value"], rel=0.01), hops
    gateway = figures["cpu_hops_per_request.gateway"]
    assert gateway["requests"] >= figures["cpu_hops_per_request.orders-api"]["requests"] > 0
    assert gateway["value"] == pytest.approx(
        gateway["cpu_ms_per_request"] / floor["value"], rel=0.01
    )
    # Statements are counted where the server preloads pg_stat_statements, else said not to be.
    statements = figures["sql_statements_per_lifecycle"]
    if statements["available"]:
        assert statements["value"] > 0 and statements["statements"] > 0, statements
    else:
        assert statements["value"] == -1 and "pg_stat_statements" in statements["note"]
    # Every lifecycle seals its inspection photos, and the answers reveal them (issue 21).
    cipher = figures["personal_data_cipher_ms_per_lifecycle"]
    assert cipher["value"] > 0 and cipher["seal_file"] >= 1, cipher
    assert chart.exists() and chart.stat().st_size > 10_000
    assert str(chart) in stderr
