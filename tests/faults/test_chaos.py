"""The short chaos run inside `make test` (`make chaos` is the long one): orders taken through
their whole life while processes are killed and paused and the broker and the database crash;
nothing lost, nothing doubled (docs/guarantees.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.run import ChaosConfig, run_chaos


@pytest.mark.rule("R8", "R11")
def test_under_kills_pauses_and_server_crashes_every_order_completes_and_nothing_is_doubled(
    tmp_path: Path,
) -> None:
    report = run_chaos(ChaosConfig(duration_s=30, orders_per_s=1, fault_every_s=1.5), tmp_path)
    printed = "\n".join(report.lines())
    assert report.violations == [], printed
    counts = report.counts
    assert counts["orders placed"] >= 20 and counts["orders completed"] == counts["orders placed"]
    assert counts["processes killed"] >= 5, printed
    assert counts["broker restarts"] == 1 and counts["database restarts"] == 1, printed
