"""The small HTTP server of a process without an API (worker, relay; the gateway's internal
port): `/metrics` for Prometheus, `/healthz` for the liveness probe, nothing else."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from shared.observability.ports import LIVENESS_PATH, METRICS_PATH

log = logging.getLogger(__name__)


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("metrics server: " + format, *args)


def metrics_app(
    healthy: Callable[[], bool],
) -> Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]:
    """The WSGI app: metrics, liveness (`healthy()`), 404 for anything else."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == METRICS_PATH:
            status, content_type, body = "200 OK", CONTENT_TYPE_LATEST, generate_latest(REGISTRY)
        elif path == LIVENESS_PATH:
            alive = healthy()
            status = "200 OK" if alive else "503 Service Unavailable"
            content_type = "application/json"
            body = json.dumps({"status": "ok" if alive else "unhealthy"}).encode()
        else:
            status, content_type, body = "404 Not Found", "text/plain", b"not found\n"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app


def serve_metrics(
    port: int | None, host: str = "127.0.0.1", healthy: Callable[[], bool] = lambda: True
) -> WSGIServer | None:
    """Serve metrics and liveness on `port` in a daemon thread (None: not at all).

    A port already taken (a second worker of the same service on one machine) is logged and
    skipped: metrics are never a reason for a worker not to work."""
    if port is None:
        return None
    try:
        server = make_server(
            host, port, metrics_app(healthy), _ThreadingServer, handler_class=_QuietHandler
        )
    except OSError as exc:
        log.warning("metrics server not started on %s:%d: %s", host, port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics-server", daemon=True).start()
    log.info("metrics on http://%s:%d%s", host, port, METRICS_PATH)
    return server
