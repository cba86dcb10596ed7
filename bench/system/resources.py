"""Memory and CPU of every process under test, sampled with psutil in a background thread:
peak RSS of each Procfile process's tree, and CPU seconds of each between marks (e.g. idle,
load), with the PostgreSQL backends serving this run's databases (their process titles name
the database) and the RabbitMQ broker (shared with whatever else uses it)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import psutil

SAMPLE_EVERY_S = 0.5
REDISCOVER_EVERY = 10
CLIENT = "bench-client"
POSTGRES = "postgres-backends"
RABBITMQ = "rabbitmq-shared"
HOST = "host"

Snapshot = dict[str, dict[int, float]]  # name -> pid -> CPU seconds so far


def process_tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_seconds(process: psutil.Process) -> float:
    """User and system CPU seconds of a process so far (0 if it is gone)."""
    try:
        times = process.cpu_times()
        return float(times.user + times.system)
    except psutil.Error:
        return 0.0


def _postgres_backends(databases: list[str]) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        title = " ".join(process.info.get("cmdline") or []) + " "
        if title.startswith("postgres:") and any(f" {db} " in title for db in databases):
            found.append(process)
    return found


def _rabbitmq() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if p.info.get("name") == "beam.smp"]


@dataclass
class Usage:
    """Peak RSS (MB) per process tree; CPU snapshots, the latest and those at marks."""

    pids: Mapping[str, int]
    databases: list[str]
    clock: Callable[[], float] = time.monotonic
    series: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # t, name: CPU s
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    latest: Snapshot = field(default_factory=dict)
    first: Snapshot = field(default_factory=dict)
    marks: dict[str, tuple[float, Snapshot]] = field(default_factory=dict)
    host: dict[str, tuple[float, float]] = field(default_factory=dict)  # label -> busy, all
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _groups: dict[str, list[psutil.Process]] = field(default_factory=dict)
    _count: int = 0

    def _discover(self) -> dict[str, list[psutil.Process]]:
        groups = {name: process_tree(pid) for name, pid in self.pids.items()}
        groups[CLIENT] = [psutil.Process(os.getpid())]
        groups[POSTGRES] = _postgres_backends(self.databases)
        groups[RABBITMQ] = _rabbitmq()
        return groups

    def sample(self, rediscover: bool = False) -> None:
        """One look at every process. Finding them (children, PostgreSQL backends) reads
        every process of the machine, so it is done only every REDISCOVER_EVERY samples:
        it was most of the client's CPU."""
        with self._lock:
            self._count += 1
            if rediscover or not self._groups or self._count % REDISCOVER_EVERY == 0:
                self._groups = self._discover()
            groups = self._groups
            for name, processes in groups.items():
                self._note(name, processes, rss=name not in (POSTGRES, RABBITMQ))
            totals = {name: sum(pids.values()) for name, pids in self.latest.items()}
            host = psutil.cpu_times()
            totals[HOST] = sum(host) - host.idle - host.iowait  # every process on the machine
            self.series.append((self.clock(), totals))

    def _note(self, name: str, processes: list[psutil.Process], rss: bool) -> None:
        latest, first = self.latest.setdefault(name, {}), self.first.setdefault(name, {})
        total = 0
        for process in processes:
            cpu = cpu_seconds(process)
            first.setdefault(process.pid, cpu)
            latest[process.pid] = max(cpu, latest.get(process.pid, 0.0))
            if rss:
                with suppress(psutil.Error):
                    total += process.memory_info().rss
        if rss:
            self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), total / 2**20)

    def mark(self, label: str) -> None:
        """Remember every process's CPU now, as `label`."""
        self.sample(rediscover=True)
        times = psutil.cpu_times()
        with self._lock:
            self.marks[label] = (time.monotonic(), {n: dict(p) for n, p in self.latest.items()})
            self.host[label] = (sum(times) - times.idle - times.iowait, sum(times))

    def host_busy_percent(self, start: str, end: str) -> float:
        """How busy the machine's cores were between two marks, everything on it included."""
        (busy_a, all_a), (busy_b, all_b) = self.host[start], self.host[end]
        return 100 * (busy_b - busy_a) / max(all_b - all_a, 1e-9)

    def between(self, start: str, end: str) -> tuple[float, dict[str, float]]:
        """Seconds from mark `start` to mark `end`, and each name's CPU seconds in between
        (a process first seen after `start` counts from when it was first seen)."""
        (began, before), (ended, after) = self.marks[start], self.marks[end]
        spent = {}
        for name, pids in after.items():
            base = {**self.first.get(name, {}), **before.get(name, {})}
            spent[name] = sum(cpu - base.get(pid, cpu) for pid, cpu in pids.items())
        return ended - began, spent


@contextmanager
def sampling(
    pids: Mapping[str, int], databases: list[str], clock: Callable[[], float]
) -> Iterator[Usage]:
    """Sample in the background until the block ends (times in the series by `clock`)."""
    usage = Usage(pids, databases, clock)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(SAMPLE_EVERY_S):
            usage.sample()

    usage.mark("start")
    thread = threading.Thread(target=loop, name="resource-sampler", daemon=True)
    thread.start()
    try:
        yield usage
    finally:
        stop.set()
        thread.join(timeout=5)
