"""deploy/Procfile with several workers per service: what `CNNECT_WORKERS=3 make run` starts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from deploy.procfile import read_procfile, render, with_workers
from tests.support.system import ROOT, SERVICES

PROCFILE = ROOT / "deploy" / "Procfile"


def test_one_worker_per_service_is_the_procfile_as_written() -> None:
    entries = read_procfile(PROCFILE)
    assert with_workers(entries, 1) == entries
    assert {f"{s}-worker" for s in SERVICES} <= set(entries)


def test_three_workers_per_service_each_know_their_index_and_the_rest_is_unchanged() -> None:
    entries = read_procfile(PROCFILE)
    expanded = with_workers(entries, 3)
    for service in SERVICES:
        assert f"{service}-worker" not in expanded
        for index in range(3):
            command = expanded[f"{service}-worker-{index}"]
            assert command.startswith(f"export CNNECT_WORKERS=3 CNNECT_WORKER_INDEX={index}; ")
            assert command.endswith(entries[f"{service}-worker"])
        assert expanded[f"{service}-api"] == entries[f"{service}-api"]
        assert expanded[f"{service}-relay"] == entries[f"{service}-relay"]
    assert len(expanded) == len(entries) + 2 * len(SERVICES)


def test_the_exported_index_reaches_the_process() -> None:
    command = with_workers({"orders-worker": "exec env"}, 2)["orders-worker-1"]
    env = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    assert "CNNECT_WORKER_INDEX=1" in env.stdout.splitlines()
    assert "CNNECT_WORKERS=2" in env.stdout.splitlines()


def test_a_rendered_procfile_reads_back_the_same(tmp_path: Path) -> None:
    expanded = with_workers(read_procfile(PROCFILE), 2)
    path = tmp_path / "Procfile"
    path.write_text(render(expanded))
    assert read_procfile(path) == expanded


def test_zero_workers_is_refused() -> None:
    with pytest.raises(ValueError):
        with_workers({"orders-worker": "exec true"}, 0)
