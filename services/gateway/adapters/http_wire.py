"""HTTP/1.1 on the wire, for the gateway's exchanges with the services: one request written in
one send, one answer read whole from a buffered reader (status, headers, a body delimited by
Content-Length, by chunks or by the end of the connection).

http.client did the same at almost four times the CPU (each header checked and sent apart,
the answer's headers read through the email package's parser); this keeps its rules: header
names and values that could split a request are refused (ValueError, as http.client raises),
an interim 100 answer is skipped, no body after HEAD, 1xx, 204 or 304, a length or a chunk
that is not a number, a line over 64 KiB, over 100 headers or an answer cut short is a
`WireError`, and whether the connection stays open follows the answer's version and its
Connection header."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import BinaryIO

MAX_LINE = 65536  # http.client's _MAXLINE
MAX_HEADERS = 100  # http.client's _MAXHEADERS
NO_BODY = frozenset({204, 304})
# What may not appear in a header: a line break or NUL (the request would split); a name is a
# token (RFC 9110 section 5.6.2).
_BAD_VALUE = re.compile(r"[\r\n\x00]")
_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class WireError(Exception):
    """The service's answer is not HTTP, or it ended too soon."""


@dataclass(frozen=True)
class Answer:
    """A service's answer: status, headers (by lower-case name, each name's first value) and
    the whole body."""

    status: int
    headers: dict[str, str]
    data: bytes
    keep_open: bool  # the connection may carry the next request

    def header(self, name: str, default: str | None = None) -> str | None:
        """The value of header `name` (any case), or `default`."""
        return self.headers.get(name.lower(), default)


def request_bytes(
    method: str, target: str, host: str, headers: dict[str, str], body: bytes
) -> bytes:
    """The request as it goes on the wire: request line, Host, Content-Length, `headers`, body."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    for name, value in headers.items():
        if not _NAME.fullmatch(name) or _BAD_VALUE.search(value):
            raise ValueError(f"invalid header {name!r}: {value!r}")
        lines.append(f"{name}: {value}")
    if _BAD_VALUE.search(target) or " " in target:
        raise ValueError(f"invalid request target {target!r}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_answer(reader: BinaryIO, method: str) -> Answer:
    """Read one whole answer from `reader` (the interim 100 answers skipped)."""
    while True:
        version, status = _status_line(_line(reader))
        headers = _headers(reader)
        if status != 100:
            break
    connection = headers.get("connection", "").lower()
    # HTTP/1.1 keeps a connection open unless told to close; HTTP/1.0 only when told to keep.
    keep_open = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
    if method == "HEAD" or status in NO_BODY or 100 <= status < 200:
        return Answer(status, headers, b"", keep_open)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return Answer(status, headers, _chunked(reader), keep_open)
    length = headers.get("content-length")
    if length is None:  # the body is what comes until the service closes the connection
        return Answer(status, headers, reader.read(), False)
    return Answer(status, headers, _exactly(reader, _number(length, 10)), keep_open)


def _line(reader: BinaryIO) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise WireError("a line of the answer is too long")
    return line


def _status_line(line: bytes) -> tuple[str, int]:
    if not line:
        raise WireError("the service closed the connection without an answer")
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/") or len(code) != 3 or not code.isdigit():
        raise WireError(f"not an HTTP status line: {line[:80]!r}")
    return version, int(code)


def _headers(reader: BinaryIO) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = ""
    for _ in range(MAX_HEADERS + 1):
        line = _line(reader)
        if line in (b"\r\n", b"\n", b""):
            return headers
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and last:  # a folded line goes on the header before it
            headers[last] += " " + text.strip()
            continue
        name, colon, value = text.partition(":")
        if not colon:
            raise WireError(f"not a header line: {text[:80]!r}")
        last = name.strip().lower()
        headers.setdefault(last, value.lstrip(" \t"))  # as the email parser keeps it
    raise WireError(f"more than {MAX_HEADERS} headers")


def _number(text: str, base: int) -> int:
    try:
        value = int(text.strip(), base)
    except ValueError:
        raise WireError(f"not a length: {text[:40]!r}") from None
    if value < 0:
        raise WireError(f"a negative length: {value}")
    return value


def _exactly(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size) if size else b""
    if len(data) < size:
        raise WireError(f"the answer ended after {len(data)} of {size} bytes")
    return data


def _chunked(reader: BinaryIO) -> bytes:
    parts = []
    while True:
        size = _number(_line(reader).split(b";", 1)[0].decode("latin-1"), 16)
        if size == 0:
            break
        parts.append(_exactly(reader, size))
        _exactly(reader, 2)  # the CRLF after a chunk
    while _line(reader) not in (b"\r\n", b"\n", b""):  # trailers, not relayed
        pass
    return b"".join(parts)
