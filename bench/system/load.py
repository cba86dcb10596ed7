"""The rising rate: new lifecycles start at `start_rate`/s, `rate_step` more every `step_s`
seconds up to `max_rate`, until the duration is over or the system blows up (an error, the
p99 past the limit, or too many lifecycles in flight); then the ones in flight finish."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.common import note, percentile
from bench.system.client import Recorder


@dataclass(frozen=True)
class Plan:
    """How hard and how long to push."""

    start_rate: float = 2.0
    rate_step: float = 2.0
    step_s: float = 10.0
    max_rate: float = 30.0
    duration_s: float = 150.0
    max_inflight: int = 400
    p99_limit_ms: float = 1000.0  # a step whose p99 passes this ends the ramp
    drain_s: float = 60.0

    def rate_at(self, step: int) -> float:
        """The start rate of step number `step` (0-based)."""
        return min(self.start_rate + self.rate_step * step, self.max_rate)


@dataclass(frozen=True)
class Step:
    """One rate step: its window (seconds into the run) and its start rate."""

    start_s: float
    end_s: float
    rate: float


@dataclass
class Ramp:
    """What the ramp did."""

    steps: list[Step] = field(default_factory=list)
    started: int = 0
    stopped_because: str = "duration reached"
    unfinished: int = 0


def _blown(recorder: Recorder, step: Step, plan: Plan, inflight: int) -> str | None:
    """Why the ramp must stop after `step`, if it must."""
    # Requests answered during the step: at its end, the slowest of those sent during it
    # have not answered yet, and would be missed.
    samples = [
        s for s in recorder.samples if step.start_s <= s.sent_s + s.latency_ms / 1000 < step.end_s
    ]
    failed = sum(1 for _, end, ok in recorder.lifecycles if not ok and end >= step.start_s)
    errors = sum(1 for s in samples if s.error) + failed
    if errors:
        return f"{errors} errors at {step.rate:g}/s"
    p99 = percentile([s.latency_ms for s in samples], 0.99) if samples else 0.0
    if p99 > plan.p99_limit_ms:
        return f"p99 {p99:.0f} ms > {plan.p99_limit_ms:g} ms at {step.rate:g}/s"
    if inflight >= plan.max_inflight:
        return f"{inflight} lifecycles in flight at {step.rate:g}/s"
    return None


async def ramp(plan: Plan, recorder: Recorder, start: Callable[[int], Awaitable[None]]) -> Ramp:
    """Start lifecycles at the rising rate; return once they have all ended."""
    result = Ramp()
    inflight: set[asyncio.Task[None]] = set()

    async def one(n: int) -> None:
        begun = recorder.now()
        ok = True
        try:
            await start(n)
        except Exception as exc:
            ok = False
            recorder.failures.append(f"order {n}: {exc}")
            if len(recorder.failures) <= 5:
                note(f"lifecycle {n} failed: {exc}")
        recorder.lifecycles.append((begun, recorder.now(), ok))

    begin = recorder.now()
    step_no = 0
    while recorder.now() - begin < plan.duration_s:
        step = Step(
            recorder.now(),
            min(recorder.now() + plan.step_s, begin + plan.duration_s),
            plan.rate_at(step_no),
        )
        note(f"step {step_no + 1}: {step.rate:g} lifecycles/s ({len(inflight)} in flight)")
        n_in_step = 0
        while (due := step.start_s + n_in_step / step.rate) < step.end_s:
            await asyncio.sleep(max(0.0, due - recorder.now()))
            if len(inflight) >= plan.max_inflight:
                break
            task = asyncio.create_task(one(result.started))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            result.started += 1
            n_in_step += 1
        await asyncio.sleep(max(0.0, step.end_s - recorder.now()))
        result.steps.append(step)
        step_no += 1
        reason = _blown(recorder, step, plan, len(inflight))
        if reason:
            result.stopped_because = reason
            break
    note(f"ramp over ({result.stopped_because}); {len(inflight)} lifecycles to finish")
    if inflight:
        _, pending = await asyncio.wait(inflight, timeout=plan.drain_s)
        for task in pending:
            task.cancel()
        result.unfinished = len(pending)
        if pending:
            await asyncio.wait(pending)
    return result
