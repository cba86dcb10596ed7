"""What the load cost each process: peak memory, CPU over the load and per completed
lifecycle, beyond what it spends idle, and the rate the machine's cores would allow."""

from __future__ import annotations

import os
from collections.abc import Callable

from bench.system.resources import CLIENT, RABBITMQ, Usage

CORES = os.cpu_count() or 1


def report_costs(put: Callable[..., None], usage: Usage, completed: int) -> None:
    """Peak RSS and CPU of each process; CPU per lifecycle, above idle, and what it allows."""
    for name, mb in sorted(usage.peak_rss_mb.items()):
        put(f"peak_rss_mb.{name}", mb, "MB")
    idle_s, idle = usage.between("start", "idle")
    load_s, load = usage.between("load", "end")
    done = max(completed, 1)
    above: dict[str, float] = {}  # CPU per lifecycle beyond what the process spends idle
    for name in sorted(load):
        idle_rate = idle.get(name, 0.0) / idle_s
        above[name] = max(0.0, load[name] - idle_rate * load_s) / done
        put(
            f"cpu_percent.{name}",
            100 * load[name] / load_s,
            "% of one core",
            idle_percent=round(100 * idle_rate, 1),
            ms_per_lifecycle=round(1000 * load[name] / done, 1),
            ms_per_lifecycle_above_idle=round(1000 * above[name], 1),
        )
    ours = [name for name in load if name not in (CLIENT, RABBITMQ)]
    per_lifecycle = 1000 * sum(load[name] for name in ours) / done
    marginal = 1000 * sum(above[name] for name in ours)
    idle_cores = sum(idle.get(name, 0.0) for name in ours) / idle_s
    put(
        "cpu_ms_per_lifecycle",
        per_lifecycle,
        "ms",
        note="CPU of every process under test and of its PostgreSQL backends over the load, "
        "per completed lifecycle (the client and the shared broker left out)",
        above_idle_ms=round(marginal, 1),
        idle_cores=round(idle_cores, 2),
        cpu_bound_lifecycles_per_s=round((CORES - idle_cores) * 1000 / max(marginal, 1e-9), 1),
    )
    put(
        "host_cpu_busy_percent",
        usage.host_busy_percent("load", "end"),
        "% of all cores",
        idle_before=round(usage.host_busy_percent("start", "idle"), 1),
    )
