"""The gateway's HTTP/1.1 wire format (services/gateway/adapters/http_wire.py) reads every answer
as http.client reads it: status, headers, body, and whether the connection stays open."""

from __future__ import annotations

import http.client
import io

import pytest

from services.gateway.adapters.http_wire import WireError, read_answer, request_bytes

ANSWERS = {
    "length": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "chunked": (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
    ),
    "close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
    "until-end": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "http10-keep": b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    "no-content": b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
    "not-modified": b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
    "continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ny",
    "twice": b"HTTP/1.1 303 See Other\r\nLocation: /a\r\nlocation: /b\r\nContent-Length: 0\r\n\r\n",
    "spaces": b"HTTP/1.1 200 OK\r\nX-A:   padded \r\nContent-Length: 0\r\n\r\n",
    "no-reason": b"HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n",
}


class _Socket:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_an_answer_reads_as_http_client_reads_it(name: str, method: str) -> None:
    theirs = http.client.HTTPResponse(_Socket(ANSWERS[name]), method=method)  # type: ignore[arg-type]
    theirs.begin()
    their_body = theirs.read()
    ours = read_answer(io.BytesIO(ANSWERS[name]), method)
    assert (ours.status, ours.data) == (theirs.status, their_body)
    for header in ("Content-Type", "X-A", "Location", "Content-Length"):
        assert ours.header(header) == theirs.headers.get(header)
    assert ours.keep_open == (not theirs.will_close)


@pytest.mark.parametrize(
    "answer",
    [
        b"",
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 2xx OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nContent-Length: five\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n",
        b"HTTP/1.1 200 OK\r\nX-A: " + b"a" * 70000 + b"\r\n\r\n",
    ],
)
def test_what_is_not_a_whole_answer_is_a_wire_error(answer: bytes) -> None:
    with pytest.raises(WireError):
        read_answer(io.BytesIO(answer), "GET")


def test_the_request_is_one_block_with_its_length() -> None:
    wire = request_bytes("POST", "/orders?x=1", "svc:8101", {"Idempotency-Key": "k"}, b"{}")
    assert wire == (
        b"POST /orders?x=1 HTTP/1.1\r\nHost: svc:8101\r\nContent-Length: 2\r\n"
        b"Idempotency-Key: k\r\n\r\n{}"
    )


@pytest.mark.parametrize(
    ("name", "value", "target"),
    [
        ("X-A", "a\r\nX-Forged: 1", "/"),
        ("X-A", "a\nb", "/"),
        ("X A", "a", "/"),
        ("X-A:", "a", "/"),
        ("X-A", "a", "/a b"),
        ("X-A", "a", "/a\r\nX-Forged: 1"),
    ],
)
def test_nothing_can_split_a_request(name: str, value: str, target: str) -> None:
    with pytest.raises(ValueError):
        request_bytes("GET", target, "svc", {name: value}, b"")
