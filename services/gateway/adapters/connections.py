"""The gateway's kept-alive connections to the services, for forwarding: one socket per service
and thread, speaking HTTP/1.1 itself (services/gateway/adapters/http_wire.py), with neither
urllib3's pool nor http.client on top.

urllib3 took half of the CPU of a forwarded request's exchange (a URL parsed twice, a pool
key, a pool queue, Timeout and Retry objects, a response wrapper and its header dict), and
http.client most of the rest (each header checked and sent apart, the answer's headers read by
the email package's parser). What forwarding needs of them is kept here: a request target
encoded and normalised as urllib3 encodes it, a connection closed by the service while idle
noticed before it is reused, TCP_NODELAY, connect and read timeouts, no retry (a forwarded
POST must not be sent twice), no redirect followed, and the same request headers (Host,
Accept-Encoding: identity, User-Agent, Content-Length)."""

from __future__ import annotations

import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import BinaryIO
from urllib.parse import urlsplit

from urllib3.util import parse_url

from services.gateway.adapters.http_wire import Answer, WireError, read_answer, request_bytes

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
class _Origin:
    https: bool
    host: str
    port: int | None
    prefix: str  # the base URL's own path, if any

    @property
    def host_header(self) -> str:
        """The Host header http.client sends: the host, and its port unless the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.https else 80
        return host if self.port in (None, default) else f"{host}:{self.port}"


class _Connection:
    """One open connection to a service: its socket and a buffered reader of it."""

    def __init__(self, origin: _Origin) -> None:
        port = origin.port or (443 if origin.https else 80)
        sock = socket.create_connection((origin.host, port), timeout=CONNECT_TIMEOUT_S)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client does
        if origin.https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=origin.host)
        sock.settimeout(READ_TIMEOUT_S)
        self.sock = sock
        self.reader: BinaryIO = sock.makefile("rb")

    def close(self) -> None:
        """Close the reader and the socket."""
        self.reader.close()
        self.sock.close()


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
    outgoing = {"Accept-Encoding": "identity", "User-Agent": USER_AGENT, **headers}
    wire = request_bytes(method, target, origin.host_header, outgoing, body)
    connection: _Connection | None = None
    try:
        connection = _connection(base_url, origin)
        connection.sock.sendall(wire)
        answer = read_answer(connection.reader, method)
    except (OSError, WireError) as exc:
        if connection is not None:
            connection.close()  # not kept: what it would read next is unknown
        raise UpstreamError(f"{type(exc).__name__}: {exc}") from exc
    if answer.keep_open:
        _held()[base_url] = (connection, time.monotonic())
    else:
        connection.close()
    return answer


def _held() -> dict[str, tuple[_Connection, float]]:
    held: dict[str, tuple[_Connection, float]] | None = getattr(_local, "held", None)
    if held is None:
        held = _local.held = {}
    return held


def _connection(base_url: str, origin: _Origin) -> _Connection:
    """This thread's connection to `base_url`: the kept one if it is fresh and still open."""
    kept = _held().pop(base_url, None)
    if kept is not None:
        connection, last_used = kept
        if time.monotonic() - last_used <= REUSE_IDLE_S and not _dropped(connection):
            return connection
        connection.close()
    return _Connection(origin)


def _dropped(connection: _Connection) -> bool:
    """The service closed this idle connection (it reads as ready: end of file), as urllib3
    checks before reusing one."""
    poller = select.poll()
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(0))


def close_held() -> None:
    """Close this thread's kept connections (a thread that is done forwarding)."""
    held = _held()
    while held:
        _, (connection, _) = held.popitem()
        connection.close()
