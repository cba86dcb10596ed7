"""The floor of one HTTP hop on this machine: the CPU a Flask view that does nothing costs
when served the way our processes are served (`shared.web.server.serve`: gunicorn, gthread).

Measured before the system starts, on a quiet machine, it says how fast the machine is (runs
on different machines compare through it) and what the goal's budget leaves: every request
of a lifecycle crosses two such servers (the gateway, then a service), so the lifecycle's
requests times two hops of this floor is CPU spent before any of our code runs.

`python -m bench.system.floor --port N` is the server; `hop_floor()` starts it and measures."""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from flask import Flask

from bench.system.resources import cpu_seconds, process_tree
from tests.support.system import ROOT, free_port

THREADS = 16  # as a service API is served (the default of `api --threads`)
CONNECTIONS = 8
PATH = "/orders/ord-1"


@dataclass(frozen=True)
class Floor:
    """CPU per request of an empty Flask view, and over how many requests it was measured."""

    cpu_ms_per_request: float
    requests: int


def hello_app() -> Flask:
    """A Flask app with one view that answers a small JSON object and does nothing else."""
    app = Flask("floor")

    @app.get("/orders/<order_id>")
    def order(order_id: str) -> dict[str, object]:
        return {"order_id": order_id, "status": "placed", "items": [1, 2]}

    return app


def hop_floor(duration_s: float = 4.0) -> Floor:
    """Serve `hello_app` in its own process; CPU of that process per request over a burst."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.system.floor", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_serving(server, port)
        tree = process_tree(server.pid)
        before = sum(map(cpu_seconds, tree))
        counts = [0] * CONNECTIONS
        deadline = time.monotonic() + duration_s
        threads = [
            threading.Thread(target=_keep_asking, args=(port, deadline, counts, k))
            for k in range(CONNECTIONS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spent = sum(map(cpu_seconds, tree)) - before
    finally:
        server.terminate()
        server.wait(timeout=15)
    requests = sum(counts)
    return Floor(round(1000 * spent / max(requests, 1), 3), requests)


def _wait_until_serving(server: subprocess.Popen[bytes], port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"the floor's server exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", PATH)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _keep_asking(port: int, deadline: float, counts: list[int], k: int) -> None:
    """One kept-alive connection asking as fast as answers come, until `deadline`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        while time.monotonic() < deadline:
            connection.request("GET", PATH)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"the floor's server answered {answer.status}")
            counts[k] += 1
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    """Serve `hello_app` as the services serve theirs."""
    from shared.web.server import serve

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve(hello_app, args.port, threads=THREADS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
