"""Log lines of every process: one JSON object per line on stderr (or, with
`CNNECT_LOG_FORMAT=text`, one readable line), each naming the process, the correlation id
and, when known, the order.

The standard library's logging does it: a formatter of some thirty lines, where a library
would still need our own filter for the context variables."""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, TextIO

from shared.observability.context import (
    PROCESS,
    current_correlation_id,
    current_order_id,
    set_process,
)

FORMATS = ("json", "text")
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# What json.dumps(line, default=str, ensure_ascii=False) would build for every line: made once.
_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)
# The AMQP clients narrate every connection at INFO (readiness checks open one each time).
QUIET = ("pika", "aiormq")


def _timestamp(record: logging.LogRecord) -> str:
    """The record's time in UTC, ISO 8601 to the millisecond (`2026-12-03T12:00:00.123Z`):
    what `datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")` writes,
    rounded the same way (to the microsecond, half to even, then cut), with the text of the
    whole second made once a second rather than on every line."""
    fraction, whole = math.modf(record.created)
    micro = round(fraction * 1_000_000)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    return f"{_second_text(int(whole))}.{micro // 1000:03d}Z"


@lru_cache(maxsize=4)
def _second_text(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The correlation id and order of a record: given with `extra=`, else the context's."""
    found: dict[str, Any] = {
        "correlation_id": getattr(record, "correlation_id", None) or current_correlation_id()
    }
    order_id = getattr(record, "order_id", None) or current_order_id()
    if order_id:
        found["order_id"] = order_id
    return found


def extras_of(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller added with `extra=` (besides the correlation id and order)."""
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and key not in ("correlation_id", "order_id")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, service, process, pid,
    correlation_id, order_id (when known), the caller's extras, and exc (a traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "service": PROCESS.service or None,
            "process": PROCESS.kind or None,
            "pid": record.process,
            **context_of(record),
            **extras_of(record),
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return _ENCODER.encode(line)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, process, logger, [correlation order], message."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of text (a traceback follows on its own lines)."""
        context = context_of(record)
        tags = " ".join(
            f"{key.split('_')[0]}={value}" for key, value in context.items() if value is not None
        )
        who = "-".join(part for part in (PROCESS.service, PROCESS.kind) if part) or "-"
        text = (
            f"{_timestamp(record)} {record.levelname:<7} {who} {record.name}: "
            f"{record.getMessage()}" + (f" [{tags}]" if tags else "")
        )
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def log_format(environ: dict[str, str] | None = None) -> str:
    """`CNNECT_LOG_FORMAT`: json (the default) or text."""
    env = os.environ if environ is None else environ
    chosen = env.get("CNNECT_LOG_FORMAT", "json").strip().lower() or "json"
    return chosen if chosen in FORMATS else "json"


def configure_logging(
    service: str,
    kind: str,
    *,
    level: str | None = None,
    fmt: str | None = None,
    stream: TextIO | None = None,
) -> logging.Handler:
    """Send every log record of this process to stderr, formatted once, and name the process.

    Called once at process start; replaces whatever handlers the root logger had."""
    set_process(service, kind)
    # No line of ours says where in the source it was logged from, nor from which thread:
    # logging then skips walking the stack for the caller and naming the thread on every
    # record (a sixth of a log line's cost; every request logs one).
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if (fmt or log_format()) == "text" else JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or os.environ.get("CNNECT_LOG_LEVEL", "INFO")).upper())
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)  # a warning is a log line too (logger py.warnings)
    sys.excepthook = log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return handler


def log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """An exception that ends the process, logged as one line like the rest (not a bare
    traceback on stderr)."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("cnnect.uncaught").critical(
        "uncaught %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb)
    )


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    logging.getLogger("cnnect.uncaught").critical(
        "uncaught %s in thread %s: %s",
        args.exc_type.__name__,
        args.thread.name if args.thread else "?",
        args.exc_value,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
