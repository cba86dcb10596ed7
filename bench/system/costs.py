"""What the load cost each process: peak memory, CPU over the load and per completed
lifecycle, beyond what it spends idle, and the rate the machine's cores would allow."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bench.system.floor import Floor
from bench.system.resources import CLIENT, RABBITMQ, Usage

CORES = os.cpu_count() or 1
HOPS = 2  # every request crosses the gateway, then a service
# Goals in empty hops of the floor (issue 19): half today's CPU per lifecycle; the gateway's
# CPU per forwarded request within twice the floor, each API's within three times.
GOAL_HOPS_PER_LIFECYCLE = 300.0
GOAL_HOPS_PER_REQUEST = {"gateway": 2.0, "api": 3.0}
GATEWAY = "gateway"


@dataclass(frozen=True)
class Budget:
    """The goal's rate, the requests the run made, and the floor of one HTTP hop."""

    goal_per_s: float
    requests: int
    floor: Floor
    # requests each HTTP process served during the load: the gateway all, each API its own
    requests_by_process: Mapping[str, int] = field(default_factory=dict)


def report_costs(
    put: Callable[..., None],
    usage: Usage,
    completed: int,
    budget: Budget | None = None,
) -> None:
    """Peak RSS and CPU of each process; CPU per lifecycle, above idle, and what it allows;
    with a `budget`, what the goal leaves each lifecycle and what empty HTTP hops take of it."""
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
    if budget is not None:
        _report_budget(put, budget, marginal, done)
        _report_hops(put, budget, per_lifecycle, marginal, load_s, load, idle_s, idle)
    put(
        "host_cpu_busy_percent",
        usage.host_busy_percent("load", "end"),
        "% of all cores",
        idle_before=round(usage.host_busy_percent("start", "idle"), 1),
    )


def _report_budget(put: Callable[..., None], budget: Budget, spent_ms: float, done: int) -> None:
    """The floor of a hop, and the goal's CPU per lifecycle against what the lifecycle's
    requests cost through two empty Flask hops and what the system spends."""
    floor = budget.floor
    put(
        "http_hop_floor_cpu_ms",
        floor.cpu_ms_per_request,
        "ms",
        note="CPU per request of a Flask view that does nothing, served as the services are "
        "(gunicorn gthread), measured before the system starts",
        requests=floor.requests,
    )
    requests_per_lifecycle = budget.requests / done
    put(
        "cpu_budget_ms_per_lifecycle",
        CORES * 1000 / budget.goal_per_s,
        "ms",
        note=f"the CPU {budget.goal_per_s:g} lifecycles/s leave each lifecycle on this "
        "machine's cores at 100 % use; empty_hops_ms: its requests through two empty hops",
        requests_per_lifecycle=round(requests_per_lifecycle, 1),
        empty_hops_ms=round(HOPS * floor.cpu_ms_per_request * requests_per_lifecycle, 1),
        spent_ms=round(spent_ms, 1),
    )


def in_hops(cpu_ms: float, floor_ms: float) -> float:
    """CPU as a number of empty hops of the floor (0 when there is no floor to divide by)."""
    return cpu_ms / floor_ms if floor_ms > 0 else 0.0


def hop_goal(process: str) -> float:
    """The goal, in empty hops per request, of the gateway or of an API."""
    return GOAL_HOPS_PER_REQUEST[GATEWAY if process == GATEWAY else "api"]


def _report_hops(
    put: Callable[..., None],
    budget: Budget,
    per_lifecycle_ms: float,
    above_idle_ms: float,
    load_s: float,
    load: Mapping[str, float],
    idle_s: float,
    idle: Mapping[str, float],
) -> None:
    """The lifecycle's CPU and each HTTP process's CPU per request, in empty hops of the
    floor measured in the same run: figures that compare across machines."""
    floor = budget.floor.cpu_ms_per_request
    hops = in_hops(per_lifecycle_ms, floor)
    put(
        "cpu_hops_per_lifecycle",
        hops,
        "empty hops",
        note="cpu_ms_per_lifecycle / http_hop_floor_cpu_ms of the same run",
        above_idle_hops=round(in_hops(above_idle_ms, floor), 1),
        floor_ms=floor,
        goal=f"<={GOAL_HOPS_PER_LIFECYCLE:g}",
        met=hops <= GOAL_HOPS_PER_LIFECYCLE,
    )
    for name, requests in sorted(budget.requests_by_process.items()):
        if name not in load or requests == 0:
            continue
        cpu_ms = 1000 * load[name] / requests
        above_ms = 1000 * max(0.0, load[name] - idle.get(name, 0.0) / idle_s * load_s) / requests
        value, goal = in_hops(cpu_ms, floor), hop_goal(name)
        put(
            f"cpu_hops_per_request.{name}",
            value,
            "empty hops",
            note="the process's CPU over the load per request it served, / the floor",
            requests=requests,
            cpu_ms_per_request=round(cpu_ms, 3),
            above_idle_hops=round(in_hops(above_ms, floor), 2),
            goal=f"<={goal:g}",
            met=value <= goal,
        )
