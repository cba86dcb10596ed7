"""deploy/Procfile: reading it, and running several workers per service.

The Procfile lists one `<service>-worker` per service. With `workers` > 1 each worker entry
becomes `<service>-worker-0` .. `<service>-worker-<n-1>`, each told its place through
`CNNECT_WORKER_INDEX` and `CNNECT_WORKERS` (shared/events/partitions.py). `make run`
(deploy/launch.py) and the tests' system (tests/support/system.py) both start from this."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

WORKER_SUFFIX = "-worker"


def read_procfile(path: Path) -> dict[str, str]:
    """Process name -> command, in file order."""
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def with_workers(entries: Mapping[str, str], workers: int) -> dict[str, str]:
    """The entries with each worker entry repeated `workers` times, each with its index."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1:
        return dict(entries)  # names and commands exactly as in the file
    expanded = {}
    for name, command in entries.items():
        if not name.endswith(WORKER_SUFFIX):
            expanded[name] = command
            continue
        for index in range(workers):
            expanded[f"{name}-{index}"] = (
                f"export CNNECT_WORKERS={workers} CNNECT_WORKER_INDEX={index}; {command}"
            )
    return expanded


def render(entries: Mapping[str, str]) -> str:
    """Procfile text of `entries`."""
    return "".join(f"{name}: {command}\n" for name, command in entries.items())
