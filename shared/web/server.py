"""Serving a Flask app with gunicorn, its own log lines going through the process's logging
(one format for every line: see shared/observability/logs.py)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from shared.config import bind_host
from shared.web.server_errors import answer_server_errors_in_json

WORKER_BOOT_ERROR = 3  # gunicorn's Arbiter.WORKER_BOOT_ERROR
KEEPALIVE_S = 75  # how long an API keeps an idle HTTP connection open


class GunicornLogger(Logger):  # type: ignore[misc]
    """gunicorn's error log through the root logger (its access log, if asked for, as is)."""

    def setup(self, cfg: Any) -> None:
        """Let gunicorn set up, then send its error log lines on to the root logger."""
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True
        self.error_log.setLevel(logging.getLogger().level)


def serve(load: Callable[[], Flask], port: int, threads: int = 8) -> None:
    """Serve the app `load` builds, in one gunicorn worker with `threads` threads.

    `load` runs in the worker after the fork: what it opens (a pool, a metrics server) is
    the worker's own. One worker keeps the process's metrics registry whole."""

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{bind_host()}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", os.environ.get("CNNECT_ACCESS_LOG", None))
            self.cfg.set("graceful_timeout", 5)
            self.cfg.set("logger_class", GunicornLogger)
            # The gateway reuses its connections to the services (for up to 30 s idle): a
            # service must not close an idle one sooner, or a request sent just as it closes
            # fails. gunicorn's default is 2 s.
            self.cfg.set("keepalive", KEEPALIVE_S)

        def load(self) -> Flask:
            try:
                return load()
            except Exception:
                # Logged here, in our format; gunicorn would add the bare message on
                # stderr. Exit code 3 tells its master the worker failed to boot (it stops).
                logging.getLogger(__name__).exception("the app failed to load")
                sys.exit(WORKER_BOOT_ERROR)

    answer_server_errors_in_json()
    Server().run()
