"""Memory and CPU of every process under test, sampled with psutil in a background thread:
peak RSS of each Procfile process's tree, CPU of each over the load, and of the PostgreSQL
backends serving this run's databases (their process titles name the database)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import psutil

SAMPLE_EVERY_S = 0.5


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
        return float(times.user + times.system)
    except psutil.Error:
        return 0.0


@dataclass
class Usage:
    """Peak RSS (MB) of each process tree, and CPU seconds of each (by pid, first and last)."""

    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    first_cpu: dict[str, dict[int, float]] = field(default_factory=dict)
    last_cpu: dict[str, dict[int, float]] = field(default_factory=dict)
    wall_s: float = 0.0
    host_busy_percent: float = 0.0

    def cpu_s(self, name: str) -> float:
        """CPU seconds `name` spent while sampled (processes gone early count until gone)."""
        first, last = self.first_cpu.get(name, {}), self.last_cpu.get(name, {})
        return sum(last[pid] - first.get(pid, 0.0) for pid in last)

    def note(self, name: str, processes: list[psutil.Process], rss: bool = True) -> None:
        """Fold one sample of `name`'s processes in."""
        first, last = self.first_cpu.setdefault(name, {}), self.last_cpu.setdefault(name, {})
        total_rss = 0
        for process in processes:
            cpu = _cpu(process)
            first.setdefault(process.pid, cpu)
            last[process.pid] = max(cpu, last.get(process.pid, 0.0))
            if rss:
                with suppress(psutil.Error):
                    total_rss += process.memory_info().rss
        if rss:
            mb = total_rss / 2**20
            self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), mb)


def _postgres_backends(databases: list[str]) -> list[psutil.Process]:
    backends = []
    for process in psutil.process_iter(["name", "cmdline"]):
        title = " ".join(process.info.get("cmdline") or [])
        if title.startswith("postgres:") and any(f" {db} " in f"{title} " for db in databases):
            backends.append(process)
    return backends


def _rabbitmq() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info.get("name") == "beam.smp"]


@contextmanager
def sampling(pids: Mapping[str, int], databases: list[str]) -> Iterator[Usage]:
    """Sample until the block ends; the Usage is complete after it."""
    usage = Usage()
    stop = threading.Event()
    me = psutil.Process(os.getpid())

    def sample() -> None:
        for name, pid in pids.items():
            usage.note(name, _tree(pid))
        usage.note("bench-client", [me])
        usage.note("postgres (this run's backends)", _postgres_backends(databases), rss=False)
        usage.note("rabbitmq (whole broker, shared)", _rabbitmq(), rss=False)

    def loop() -> None:
        while not stop.wait(SAMPLE_EVERY_S):
            sample()

    psutil.cpu_percent()  # starts the host-wide measurement
    sample()
    thread = threading.Thread(target=loop, name="resource-sampler", daemon=True)
    thread.start()
    began = time.monotonic()
    try:
        yield usage
    finally:
        stop.set()
        thread.join(timeout=5)
        sample()
        usage.wall_s = time.monotonic() - began
        usage.host_busy_percent = psutil.cpu_percent()
