"""The port and probe convention: one table in code, the same in deploy/ports.json, matching
every Procfile process."""

from __future__ import annotations

import json

from shared.observability.ports import metrics_port, table
from tests.support.system import ROOT, procfile


def test_deploy_ports_json_is_the_table_the_code_uses() -> None:
    written = json.loads((ROOT / "deploy" / "ports.json").read_text())
    assert written == table(), "run: python -m shared.observability.ports > deploy/ports.json"


def test_every_procfile_process_has_its_ports_and_probes() -> None:
    assert set(table()) == set(procfile())


def test_a_metrics_port_comes_from_the_environment_or_the_offset_convention() -> None:
    assert metrics_port("worker", 8101, {}) == 9101
    assert metrics_port("relay", 8101, {}) == 10101
    assert metrics_port("gateway", 8100, {}) == 9100
    assert metrics_port("worker", 8101, {"CNNECT_METRICS_PORT": "9999"}) == 9999
    assert metrics_port("relay", 8101, {"CNNECT_METRICS_PORT": "off"}) is None
