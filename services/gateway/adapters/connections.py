"""The gateway's kept-alive connections to the services, for forwarding: the standard library's
http.client, one connection per service and thread, without urllib3's pool on top.

urllib3 took half of the CPU of a forwarded request's exchange (a URL parsed twice, a pool
key, a pool queue, Timeout and Retry objects, a response wrapper and its header dict) for
nothing forwarding needs; what it did that forwarding does need is kept here: a request
target encoded and normalised as urllib3 encodes it, a connection closed by the service
while idle noticed before it is reused, connect and read timeouts, no retry (a forwarded
POST must not be sent twice), no redirect followed, and the same request headers
(Host, Accept-Encoding: identity, User-Agent, Content-Length)."""

from __future__ import annotations

import http.client
import re
import select
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from urllib.parse import urlsplit

from urllib3.util import parse_url

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0
# A connection unused this long is not reused: the services keep an idle connection open for
# shared.web.server.KEEPALIVE_S (75 s), and one they close just as a request goes out fails.
REUSE_IDLE_S = 30.0
USER_AGENT = f"python-urllib3/{version('urllib3')}"  # what the services saw before
# A target made only of these, with no dot segment, is one urllib3 would send unchanged; any
# other (a percent escape, a space, a non-ASCII letter, `/../`) is encoded by urllib3 itself.
_PLAIN_TARGET = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")

_local = threading.local()


class UpstreamError(Exception):
    """No answer from the service (refused, reset, timed out, not HTTP)."""


@dataclass(frozen=True)
class Answer:
    """A service's answer: status, headers (case-insensitive `get`) and the whole body."""

    status: int
    headers: http.client.HTTPMessage
    data: bytes


@dataclass(frozen=True)
class _Origin:
    https: bool
    host: str
    port: int | None
    prefix: str  # the base URL's own path, if any


@lru_cache(maxsize=64)
def _origin(base_url: str) -> _Origin:
    parts = urlsplit(base_url)
    return _Origin(parts.scheme == "https", parts.hostname or "", parts.port, parts.path)


def request_target(path_and_query: str) -> str:
    """The request target urllib3 would send for `path_and_query`."""
    if _PLAIN_TARGET.fullmatch(path_and_query) and "/." not in path_and_query:
        return path_and_query or "/"
    return parse_url(f"http://h{path_and_query}").request_uri


def exchange(
    base_url: str, method: str, path_and_query: str, body: bytes, headers: dict[str, str]
) -> Answer:
    """Send one request to the service at `base_url` over this thread's connection to it
    (opened, or opened anew, as needed) and read its whole answer."""
    origin = _origin(base_url)
    target = request_target(origin.prefix.rstrip("/") + path_and_query)
    connection = _connection(base_url, origin)
    outgoing = {"User-Agent": USER_AGENT, **headers}
    try:
        if connection.sock is None:
            _connect(connection)
        connection.request(method, target, body=body, headers=outgoing)
        answer = connection.getresponse()
        data = answer.read()
    except (OSError, http.client.HTTPException) as exc:
        connection.close()  # not kept: what it would read next is unknown
        raise UpstreamError(f"{type(exc).__name__}: {exc}") from exc
    if answer.will_close:
        connection.close()
    else:
        _held()[base_url] = (connection, time.monotonic())
    return Answer(answer.status, answer.headers, data)


def _held() -> dict[str, tuple[http.client.HTTPConnection, float]]:
    held: dict[str, tuple[http.client.HTTPConnection, float]] | None = getattr(_local, "held", None)
    if held is None:
        held = _local.held = {}
    return held


def _connection(base_url: str, origin: _Origin) -> http.client.HTTPConnection:
    """This thread's connection to `base_url`: the kept one if it is fresh and still open."""
    kept = _held().pop(base_url, None)
    if kept is not None:
        connection, last_used = kept
        if time.monotonic() - last_used <= REUSE_IDLE_S and not _dropped(connection):
            return connection
        connection.close()
    kind = http.client.HTTPSConnection if origin.https else http.client.HTTPConnection
    return kind(origin.host, origin.port, timeout=CONNECT_TIMEOUT_S)


def _connect(connection: http.client.HTTPConnection) -> None:
    """Connect within CONNECT_TIMEOUT_S; then wait up to READ_TIMEOUT_S for each read."""
    connection.connect()
    opened: socket.socket = connection.sock
    opened.settimeout(READ_TIMEOUT_S)


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """The service closed this idle connection (it reads as ready: end of file), as urllib3
    checks before reusing one."""
    if connection.sock is None:
        return True
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(0))


def close_held() -> None:
    """Close this thread's kept connections (a thread that is done forwarding)."""
    held = _held()
    while held:
        _, (connection, _) = held.popitem()
        connection.close()
