"""The run as a picture: lifecycles completed per second against the offered start rate,
and request latency (p50, p99) per second, over time."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file

import matplotlib.pyplot as plt

from bench.common import percentile
from bench.system.client import Recorder
from bench.system.figures import GOAL_LIFECYCLES_PER_S, GOAL_P99_MS, Window
from bench.system.load import Ramp


def draw(recorder: Recorder, ramp: Ramp, steady: Window, path: Path, title: str) -> Path:
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
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(11, 7), dpi=100)
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
    bottom.set_xlabel("seconds into the run")
    bottom.legend(loc="upper left", fontsize=8)
    for axis in (top, bottom):
        axis.axvspan(steady.step.start_s, steady.step.end_s, color="orange", alpha=0.15)
    top.set_title(title, fontsize=10)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
