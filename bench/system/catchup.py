"""Projection catch-up: from the load's last answer until every service's projections
report lag 0 (GET /projections on each service's own port)."""

from __future__ import annotations

import time

import requests

from bench.system.client import Recorder
from tests.support.system import SERVICES, System

CHECK_EVERY_S = 0.05


def lags(system: System) -> dict[str, int]:
    """Service.projection -> events not applied yet."""
    result = {}
    for service in SERVICES:
        answer = requests.get(system.url(service, "/projections"), timeout=10)
        answer.raise_for_status()
        for name, lag in answer.json()["lag"].items():
            result[f"{service}.{name}"] = int(lag)
    return result


def catch_up_s(system: System, recorder: Recorder, timeout_s: float = 120.0) -> float:
    """Seconds from the last answer of the load until no projection lags (checked every
    50 ms, so it is up to that much late); raises TimeoutError past `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        behind = {name: lag for name, lag in lags(system).items() if lag}
        if not behind:
            return max(0.0, recorder.now() - recorder.last_answer_s)
        if time.monotonic() > deadline:
            raise TimeoutError(f"projections still behind after {timeout_s:.0f}s: {behind}")
        time.sleep(CHECK_EVERY_S)
