"""`--profile DIR`: py-spy samples every process under test during the load (flat "raw"
collapsed stacks, one file per process) and the busiest functions are summed up. Only the
thread holding the GIL is sampled (`--gil`): where each process spends its CPU in Python.
C code that lets the GIL go (argon2 hashing, waiting on a socket) is not in the samples."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bench.common import note

RATE_HZ = 50  # low, so the profiler itself costs little CPU on a 2-core machine
TOP = 12


@contextmanager
def profiled(folder: Path | None, pids: Mapping[str, int], seconds: float) -> Iterator[None]:
    """Record each process for up to `seconds` (nothing when `folder` is None)."""
    if folder is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    spy = Path(sys.executable).with_name("py-spy")
    running = {
        name: subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                str(RATE_HZ),
                "--format",
                "raw",
                "--subprocesses",
                "--nonblocking",
                "--gil",
                "--output",
                str(folder / f"{name}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    }
    try:
        yield
    finally:
        for process in running.values():
            process.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for process in running.values():
            process.wait(timeout=30)
        summary = folder / "summary.txt"
        summary.write_text("\n".join(summarise(folder / f"{n}.txt", n) for n in running))
        note(f"profiles in {folder}, busiest functions in {summary}")


def summarise(path: Path, name: str) -> str:
    """The functions where `name` spent most samples (leaf frames: self time), as text."""
    if not path.exists():
        return f"== {name}: no profile\n"
    leaves: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaves[stack.split(";")[-1]] += int(count)
        total += int(count)
    lines = [f"== {name}: {total} samples"]
    lines += [f"{100 * n / max(total, 1):5.1f}%  {frame}" for frame, n in leaves.most_common(TOP)]
    return "\n".join(lines) + "\n"
