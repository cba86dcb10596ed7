"""Wiring observability into a service's processes: the metrics server and sampler of a
worker, the metrics server of a relay, the progress bar of a rebuild."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from shared.observability.ports import metrics_host, metrics_port
from shared.observability.progress import progress_bar
from shared.observability.sampler import DEFAULT_INTERVAL_S, Sampler
from shared.observability.server import serve_metrics

if TYPE_CHECKING:
    from shared.events.projections import ProjectionRunner
    from shared.runtime import Worker


def observe_worker(
    worker: Worker, threads: Sequence[threading.Thread], api_port: int, stop: threading.Event
) -> list[threading.Thread]:
    """Serve the worker's metrics (alive while all its `threads` are) and start sampling
    projection lags and queue depths; returns the sampler's thread."""
    serve_metrics(
        metrics_port("worker", api_port),
        metrics_host(),
        healthy=lambda: all(thread.is_alive() for thread in threads),
    )
    name = worker.definition.name
    topology = worker.context.topology
    sampler = Sampler(
        name,
        {runner.projection.name: runner.lag for runner in worker.runners},
        worker.context.settings.amqp_url,
        [*topology.queues(name), topology.dead_letter_queue(name)],
        interval=float(os.environ.get("CNNECT_METRICS_INTERVAL_S", DEFAULT_INTERVAL_S)),
    )
    thread = threading.Thread(target=sampler.run, args=(stop,), name="sampler", daemon=True)
    thread.start()
    return [thread]


def observe_relay(api_port: int) -> None:
    """Serve the relay's metrics and liveness."""
    serve_metrics(metrics_port("relay", api_port), metrics_host())


def rebuild(service: str, runner: ProjectionRunner) -> int:
    """Rebuild one projection with a progress bar (on a terminal); returns the event count."""
    with progress_bar(f"{service} {runner.projection.name}", runner.total()) as advance:
        return runner.rebuild(on_batch=advance)
