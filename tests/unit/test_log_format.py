"""Log lines: one JSON object per line with the process, the correlation id and the order;
or, for people, one readable line with the same facts."""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator

import pytest

from shared.observability.context import PROCESS, correlated, set_process
from shared.observability.logs import JsonFormatter, TextFormatter, configure_logging, log_format


@pytest.fixture(autouse=True)
def process() -> Iterator[None]:
    before = (PROCESS.service, PROCESS.kind)
    set_process("orders", "api")
    yield
    set_process(*before)


def _record(msg: str = "placed %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("cnnect.test", logging.INFO, __file__, 1, msg, args or None, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_names_the_process_and_the_current_correlation_and_order() -> None:
    with correlated("4f1c7a2e-5a5b-4f55-9d1b-1f0e1a2b3c4d", "ord-1"):
        line = json.loads(JsonFormatter().format(_record("placed %s", "ord-1")))
    assert line["msg"] == "placed ord-1"
    assert line["level"] == "INFO"
    assert line["logger"] == "cnnect.test"
    assert (line["service"], line["process"]) == ("orders", "api")
    assert line["correlation_id"] == "4f1c7a2e-5a5b-4f55-9d1b-1f0e1a2b3c4d"
    assert line["order_id"] == "ord-1"
    assert line["ts"].endswith("Z") and "T" in line["ts"]


def test_outside_any_request_the_correlation_is_null_and_the_order_absent() -> None:
    line = json.loads(JsonFormatter().format(_record()))
    assert line["correlation_id"] is None
    assert "order_id" not in line


def test_ids_given_with_extra_win_over_the_context_and_other_extras_are_kept() -> None:
    record = _record(correlation_id="c-given", order_id="ord-given", event_type="OrderPlaced")
    with correlated("c-context", "ord-context"):
        line = json.loads(JsonFormatter().format(record))
    assert (line["correlation_id"], line["order_id"]) == ("c-given", "ord-given")
    assert line["event_type"] == "OrderPlaced"


def test_an_exception_stays_inside_its_one_line() -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__("sys").exc_info()
        )
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exc"]


def test_values_json_cannot_encode_are_written_as_text() -> None:
    line = json.loads(JsonFormatter().format(_record(when=object)))
    assert line["when"] == str(object)


def test_the_text_format_carries_the_same_ids_for_grep() -> None:
    with correlated("4f1c7a2e-5a5b-4f55-9d1b-1f0e1a2b3c4d", "ord-7"):
        text = TextFormatter().format(_record("placed %s", "ord-7"))
    assert "INFO" in text and "orders-api" in text and "placed ord-7" in text
    assert "correlation=4f1c7a2e-5a5b-4f55-9d1b-1f0e1a2b3c4d" in text and "order=ord-7" in text


def test_the_format_is_json_unless_text_is_asked_for() -> None:
    assert log_format({}) == "json"
    assert log_format({"CNNECT_LOG_FORMAT": "text"}) == "text"
    assert log_format({"CNNECT_LOG_FORMAT": "TEXT "}) == "text"
    assert log_format({"CNNECT_LOG_FORMAT": "xml"}) == "json"


def test_configure_logging_sends_every_logger_and_uncaught_errors_through_one_handler() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    try:
        configure_logging("billing", "worker", level="INFO", fmt="json", stream=stream)
        logging.getLogger("some.library").info("hello")
        logging.getLogger("pika").info("connection chatter")
        try:
            raise RuntimeError("the end")
        except RuntimeError as exc:
            sys.excepthook(RuntimeError, exc, exc.__traceback__)
        thread = threading.Thread(target=lambda: 1 / 0, name="doomed")
        thread.start()
        thread.join()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        sys.excepthook, threading.excepthook = saved[2], saved[3]
        logging.captureWarnings(False)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["msg"] for line in lines] == [
        "hello",
        "uncaught RuntimeError: the end",
        "uncaught ZeroDivisionError in thread doomed: division by zero",
    ]
    assert {(line["service"], line["process"]) for line in lines} == {("billing", "worker")}
    assert "Traceback" in lines[1]["exc"] and lines[1]["level"] == "CRITICAL"
