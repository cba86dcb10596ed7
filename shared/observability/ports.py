"""Where each process listens, and the probe and metrics paths: the convention in one place.

APIs serve `/metrics` on their own port. Workers and relays have no HTTP API, so each
serves `/metrics` and `/healthz` on a port of its own: `CNNECT_METRICS_PORT` when set (per
process; `off` for none), else its service's API port + 1000 (worker) or + 2000 (relay).
The gateway's public port answers `/metrics` to staff only; scrapers use its internal port,
gateway port + 1000.

`python -m shared.observability.ports` prints the table by Procfile process name as JSON
(kept in deploy/ports.json for the deploy manifests; a test keeps the two equal)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

# The API port of each service when `CNNECT_<SERVICE>_PORT` is not set: the only table of
# them (the runtime, the gateway and `make run` read it; the Procfile repeats it, tested).
API_PORTS: Mapping[str, int] = {
    "gateway": 8100,
    "orders": 8101,
    "billing": 8102,
    "messaging": 8103,
    "shipping": 8104,
}
# The site `make run` serves on this machine: the default of the links in e-mails and of the
# tools that act as a bank or a customer (send_bank_notice, demo_data).
LOCAL_GATEWAY_URL = f"http://127.0.0.1:{API_PORTS['gateway']}"
# Added to the service's API port to get the metrics port of its other processes.
METRICS_OFFSETS: Mapping[str, int] = {"worker": 1000, "relay": 2000, "gateway": 1000}
# Several workers of one service on one machine: worker i adds i * this to the worker's port.
WORKER_INDEX_STEP = 10
MAX_LOCAL_WORKERS = 3  # what `make run` and the tests start at most, for choosing free ports
METRICS_PATH = "/metrics"
LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def metrics_port(kind: str, api_port: int, environ: Mapping[str, str] | None = None) -> int | None:
    """The port a worker, relay or the gateway serves metrics on (None: switched off)."""
    env = os.environ if environ is None else environ
    chosen = env.get("CNNECT_METRICS_PORT", "").strip().lower()
    if chosen in ("off", "none", "no"):
        return None
    if chosen:
        return int(chosen)
    index = int(env.get("CNNECT_WORKER_INDEX", "0") or 0) if kind == "worker" else 0
    return api_port + METRICS_OFFSETS[kind] + WORKER_INDEX_STEP * index


def metrics_host(environ: Mapping[str, str] | None = None) -> str:
    """The address metrics servers bind (`CNNECT_METRICS_HOST`, default 127.0.0.1)."""
    env = os.environ if environ is None else environ
    return env.get("CNNECT_METRICS_HOST", "127.0.0.1")


def _process(port: int, metrics_port: int | None, *, api: bool) -> dict[str, Any]:
    return {
        "port": port,
        "liveness": LIVENESS_PATH,
        "readiness": READINESS_PATH if api else None,
        "metrics_port": metrics_port,
        "metrics_path": METRICS_PATH,
    }


def table() -> dict[str, dict[str, Any]]:
    """Every process of deploy/Procfile, by name: its port, probe paths and where to scrape."""
    gateway = API_PORTS["gateway"]
    found = {"gateway": _process(gateway, gateway + METRICS_OFFSETS["gateway"], api=True)}
    for service, port in API_PORTS.items():
        if service == "gateway":
            continue
        found[f"{service}-api"] = _process(port, port, api=True)
        for kind in ("worker", "relay"):
            own = port + METRICS_OFFSETS[kind]
            found[f"{service}-{kind}"] = _process(own, own, api=False)
    return found


if __name__ == "__main__":
    print(json.dumps(table(), indent=2))
