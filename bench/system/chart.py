"""The run as a picture: lifecycles completed per second against the offered start rate,
and request latency (p50, p99) per second, over time."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from bench.common import percentile
from bench.system.client import Recorder
from bench.system.costs import CORES
from bench.system.figures import GOAL_LIFECYCLES_PER_S, GOAL_P99_MS, Window
from bench.system.load import Ramp
from bench.system.resources import CLIENT, HOST, POSTGRES, Usage

GROUPS: tuple[tuple[str, Callable[[str], bool]], ...] = (  # the stacks of the CPU panel
    ("gateway", lambda n: n == "gateway"),
    ("service APIs", lambda n: n.endswith("-api")),
    ("workers", lambda n: "-worker" in n),  # N copies each with --workers N
    ("relays", lambda n: n.endswith("-relay")),
    ("PostgreSQL (this run)", lambda n: n == POSTGRES),
    ("bench client", lambda n: n == CLIENT),
)


def cpu_panel(axis: Axes, usage: Usage) -> None:
    """Stacked CPU (% of one core) of the process groups between consecutive samples."""
    times: list[float] = []
    stacks: list[list[float]] = [[] for _ in GROUPS]
    host: list[float] = []
    for (t0, before), (t1, after) in itertools.pairwise(usage.series):
        if t1 - t0 < 0.2:  # a mark right beside a regular sample: too short to tell
            continue
        times.append(t1)
        host.append(100 * (after[HOST] - before[HOST]) / max(t1 - t0, 1e-9))
        for k, (_, member) in enumerate(GROUPS):
            spent = sum(after[n] - before.get(n, after[n]) for n in after if member(n))
            stacks[k].append(100 * spent / max(t1 - t0, 1e-9))
    if times:
        axis.stackplot(times, stacks, labels=[label for label, _ in GROUPS], alpha=0.8)
        axis.plot(times, host, color="black", linewidth=0.8, label="whole machine")
    axis.axhline(100 * CORES, color="black", linestyle=":", label=f"{CORES} cores")
    axis.set_ylabel("CPU, % of one core")
    axis.legend(loc="upper left", fontsize=7, ncol=4)


def draw(
    recorder: Recorder, ramp: Ramp, usage: Usage, steady: Window, path: Path, title: str
) -> Path:
    """Write the PNG chart to `path` and return it."""
    end = max([e for _, e, _ in recorder.lifecycles] + [recorder.last_answer_s, 1.0])
    seconds = list(range(math.ceil(end)))
    completed = [0] * len(seconds)
    for _, finished, ok in recorder.lifecycles:
        if ok and int(finished) < len(seconds):
            completed[int(finished)] += 1
    buckets: dict[int, list[float]] = defaultdict(list)
    for s in recorder.samples:
        buckets[int(s.sent_s)].append(s.latency_ms)
    figure, (top, bottom, cpu) = plt.subplots(3, 1, sharex=True, figsize=(11, 9.5), dpi=100)
    top.bar(seconds, completed, width=1.0, color="#4c9be8", label="lifecycles completed per s")
    top.step(
        [st.start_s for st in ramp.steps] + [ramp.steps[-1].end_s],
        [st.rate for st in ramp.steps] + [ramp.steps[-1].rate],
        where="post",
        color="black",
        label="offered start rate per s",
    )
    top.axhline(GOAL_LIFECYCLES_PER_S, color="green", linestyle=":", label="goal")
    top.set_ylabel("lifecycles / s")
    top.legend(loc="upper left", fontsize=8)
    times = sorted(buckets)
    for fraction, colour in ((0.5, "#2a7"), (0.99, "#d33")):
        values = [percentile(buckets[t], fraction) for t in times]
        bottom.plot(times, values, color=colour, label=f"p{round(fraction * 100)}")
    bottom.axhline(GOAL_P99_MS, color="green", linestyle=":", label="p99 goal")
    bottom.set_yscale("log")
    bottom.set_ylabel("request latency, ms (all routes)")
    bottom.legend(loc="upper left", fontsize=8)
    cpu_panel(cpu, usage)
    cpu.set_xlabel("seconds into the run")
    for axis in (top, bottom, cpu):
        axis.axvspan(steady.step.start_s, steady.step.end_s, color="orange", alpha=0.15)
    top.set_title(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
