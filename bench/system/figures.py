"""The figures of a run, one JSON line each (bench/README.md lists them). Throughput and
latency are taken over the steady window: the rate step that completed the most lifecycles
per second without an error (its p99 is reported as it was, goal met or not)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from bench.common import percentile, report
from bench.system.client import Recorder, Sample
from bench.system.costs import GATEWAY, Budget, report_costs
from bench.system.floor import Floor
from bench.system.load import Ramp, Step
from bench.system.resources import Usage
from bench.system.statements import StatementCounter

GOAL_LIFECYCLES_PER_S = 20.0
GOAL_P99_MS = 100.0
GOAL_STATEMENTS_PER_LIFECYCLE = 450.0


@dataclass(frozen=True)
class Window:
    """What happened during one rate step."""

    step: Step
    completed: int
    errors: int
    samples: list[Sample]

    @property
    def seconds(self) -> float:
        return max(self.step.end_s - self.step.start_s, 1e-9)

    @property
    def lifecycles_per_s(self) -> float:
        return self.completed / self.seconds

    def p(self, fraction: float) -> float:
        return _p([s.latency_ms for s in self.samples], fraction)


def _p(values: list[float], fraction: float) -> float:
    return percentile(values, fraction) if values else 0.0


def windows(recorder: Recorder, ramp: Ramp) -> list[Window]:
    """Each rate step with the lifecycles completed and the requests sent during it."""
    result = []
    for step in ramp.steps:
        inside = [s for s in recorder.samples if step.start_s <= s.sent_s < step.end_s]
        ended = [
            (end, ok) for _, end, ok in recorder.lifecycles if step.start_s <= end < step.end_s
        ]
        completed = sum(1 for _, ok in ended if ok)
        errors = sum(1 for s in inside if s.error) + sum(1 for _, ok in ended if not ok)
        result.append(Window(step, completed, errors, inside))
    return result


def steady(found: list[Window]) -> Window:
    """The step with the most completions per second and no error (any step if all erred)."""
    clean = [w for w in found if w.errors == 0] or found
    return max(clean, key=lambda w: (w.lifecycles_per_s, w.step.start_s))


def route_name(route: str) -> str:
    """ "POST /api/orders/orders" -> "POST_/api/orders/orders" (a figure name, no spaces)."""
    return route.replace(" ", "_", 1)


def served_by(route: str) -> tuple[str, ...]:
    """The HTTP processes a request crosses: "POST /api/orders/orders" -> gateway and
    orders-api; a webhook goes on to billing-api; /auth/ stays in the gateway."""
    path = route.split(" ", 1)[-1]
    parts = path.strip("/").split("/")
    if len(parts) > 1 and parts[0] == "api":
        return (GATEWAY, f"{parts[1]}-api")
    if parts[0] == "webhooks":
        return (GATEWAY, "billing-api")
    return (GATEWAY,)


def requests_by_process(samples: list[Sample]) -> dict[str, int]:
    """How many of `samples` each HTTP process served."""
    counted: Counter[str] = Counter()
    for sample in samples:
        counted.update(served_by(sample.route))
    return dict(counted)


def report_all(
    recorder: Recorder,
    ramp: Ramp,
    usage: Usage,
    catch_up_s: float | None,
    extra: dict[str, Any],
    floor: Floor | None = None,
    statements: StatementCounter | None = None,
) -> dict[str, float]:
    """Print every figure; returns name -> value."""
    found = windows(recorder, ramp)
    window = steady(found)
    figures: dict[str, float] = {}

    def put(name: str, value: float, unit: str, **detail: Any) -> None:
        figures[name] = report(name, value, unit, **detail)

    for k, w in enumerate(found, start=1):
        put(
            "ramp_step_lifecycles_per_s",
            w.lifecycles_per_s,
            "lifecycles/s",
            step=k,
            offered_rate_per_s=w.step.rate,
            window_s=[round(w.step.start_s, 1), round(w.step.end_s, 1)],
            requests_per_s=round(len(w.samples) / w.seconds, 1),
            p50_ms=round(w.p(0.5), 1),
            p99_ms=round(w.p(0.99), 1),
            errors=w.errors,
        )
    where = {
        "window_s": [round(window.step.start_s, 1), round(window.step.end_s, 1)],
        "offered_rate_per_s": window.step.rate,
    }
    put(
        "lifecycles_per_s",
        window.lifecycles_per_s,
        "lifecycles/s",
        **where,
        goal=f">={GOAL_LIFECYCLES_PER_S:g}",
        met=window.lifecycles_per_s >= GOAL_LIFECYCLES_PER_S,
        **extra,
    )
    within = [w for w in found if w.errors == 0 and w.p(0.99) < GOAL_P99_MS]
    put(
        "lifecycles_per_s_within_goal",
        max((w.lifecycles_per_s for w in within), default=0.0),
        "lifecycles/s",
        note=f"best step with p99 < {GOAL_P99_MS:g} ms and no error",
    )
    _latency(put, window, recorder.samples, where)
    _routes(put, window, recorder.samples)
    _lifecycles(put, recorder, ramp, window)
    put(
        "projection_catch_up_s",
        -1.0 if catch_up_s is None else catch_up_s,
        "s",
        note="from the load's last answer to lag 0 everywhere (-1: never)",
    )
    budget = None
    if floor is not None:
        # The load's requests only: the warm-up's sign-ups come before its first step.
        load_samples = [s for s in recorder.samples if s.sent_s >= ramp.steps[0].start_s]
        budget = Budget(
            GOAL_LIFECYCLES_PER_S, len(load_samples), floor, requests_by_process(load_samples)
        )
    completed = sum(1 for *_, ok in recorder.lifecycles if ok)
    report_costs(put, usage, completed, budget)
    if statements is not None:
        _statements(put, statements, completed)
    return figures


def _statements(put: Any, statements: StatementCounter, completed: int) -> None:
    count = statements.between("load", "end")
    if count is None:
        # Said, not faked: no other counter of PostgreSQL's counts statements.
        put(
            "sql_statements_per_lifecycle",
            -1,
            "statements",
            available=False,
            note=f"pg_stat_statements not available ({statements.unavailable}); the "
            "benchmark does not change the server's configuration",
        )
        return
    per_lifecycle = count.statements / max(completed, 1)
    put(
        "sql_statements_per_lifecycle",
        per_lifecycle,
        "statements",
        available=True,
        note="pg_stat_statements calls in the run's databases over the load, per completed "
        "lifecycle",
        statements=count.statements,
        lifecycles=completed,
        entries_evicted=count.evicted,
        goal=f"<={GOAL_STATEMENTS_PER_LIFECYCLE:g}",
        met=per_lifecycle <= GOAL_STATEMENTS_PER_LIFECYCLE,
    )


def _latency(put: Any, window: Window, everything: list[Sample], where: dict[str, Any]) -> None:
    actions = [s.latency_ms for s in window.samples if s.kind == "action"]
    polls = [s.latency_ms for s in window.samples if s.kind == "poll"]
    run = [s.latency_ms for s in everything]
    put(
        "http_requests_per_s",
        len(window.samples) / window.seconds,
        "requests/s",
        **where,
        actions_per_s=round(len(actions) / window.seconds, 1),
        polls_per_s=round(len(polls) / window.seconds, 1),
    )
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        goal = {"goal": f"<{GOAL_P99_MS:g}", "met": window.p(0.99) < GOAL_P99_MS}
        put(
            f"http_latency_ms_{name}",
            window.p(fraction),
            "ms",
            **where,
            requests=len(window.samples),
            actions_ms=round(_p(actions, fraction), 1),
            polls_ms=round(_p(polls, fraction), 1),
            whole_run_ms=round(_p(run, fraction), 1),
            **(goal if name == "p99" else {}),
        )


def _routes(put: Any, window: Window, everything: list[Sample]) -> None:
    by_route: dict[str, list[float]] = defaultdict(list)
    for s in window.samples:
        by_route[s.route].append(s.latency_ms)
    whole: dict[str, list[float]] = defaultdict(list)
    for s in everything:
        whole[s.route].append(s.latency_ms)
    for route in sorted(whole):
        values = by_route.get(route) or whole[route]
        put(
            f"http_latency_ms_p99.{route_name(route)}",
            _p(values, 0.99),
            "ms",
            route=route,
            requests=len(values),
            p50_ms=round(_p(values, 0.5), 1),
            max_ms=round(max(values), 1),
            whole_run_p99_ms=round(_p(whole[route], 0.99), 1),
            window="steady" if route in by_route else "whole run",
        )


def _lifecycles(put: Any, recorder: Recorder, ramp: Ramp, window: Window) -> None:
    done = [end - start for start, end, ok in recorder.lifecycles if ok]
    in_window = [
        end - start
        for start, end, ok in recorder.lifecycles
        if ok and window.step.start_s <= end < window.step.end_s
    ]
    failed = sum(1 for *_, ok in recorder.lifecycles if not ok) + ramp.unfinished
    http_errors = sum(1 for s in recorder.samples if s.error)
    put(
        "errors",
        http_errors + failed,
        "count",
        goal="0",
        met=http_errors + failed == 0,
        http_errors=http_errors,
        lifecycle_failures=failed,
        unfinished=ramp.unfinished,
        first_failures=recorder.failures[:3],
    )
    put(
        "lifecycles_completed",
        len(done),
        "count",
        started=ramp.started,
        stopped_because=ramp.stopped_because,
        offered_rate_max_per_s=ramp.steps[-1].rate,
    )
    for name, fraction in (("p50", 0.5), ("p99", 0.99)):
        put(
            f"lifecycle_duration_s_{name}",
            _p(in_window or done, fraction),
            "s",
            note="start to 'completed' seen, lifecycles ending in the steady window",
        )
