"""The short cluster run (`make cluster-test`; `make cluster` is the long one): orders taken
through their whole life while a broker node is killed, then the one leading most queues,
the database primary fails over and a broker node is cut off; nothing acknowledged is lost,
nothing is applied twice, and the system carries on by itself (docs/guarantees.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.failures import FailureTimes
from tests.cluster.run import ClusterConfig, run_cluster


@pytest.mark.cluster
@pytest.mark.rule("R8", "R11")
@pytest.mark.timeout(1200)
def test_through_broker_node_deaths_a_failover_and_a_partition_nothing_acknowledged_is_lost(
    tmp_path: Path,
) -> None:
    times = FailureTimes(down_s=8, partition_s=15)
    report = run_cluster(ClusterConfig(orders_per_s=0.5, min_duration_s=30, times=times), tmp_path)
    printed = "\n".join(report.lines())
    print(printed)
    assert report.violations == [], printed
    counts = report.counts
    assert counts["failures injected"] == 4, printed
    assert counts["orders placed"] >= 10, printed
    assert counts["orders completed"] == counts["orders placed"], printed
    assert all(r.recovery_s is not None for r in report.failures), printed
